/*
 * cursor.c -- cursors over a tree: first / last / seek / next / prev and the
 * copy of the current node.
 *
 * Owns: latching rules L2 and L7 of btree_int.h (moving right by coupling,
 * moving left by release-and-verify, holding nothing between calls and
 * re-validating the remembered position by key).
 * Must not touch: tree shape or pages' contents (cursors only read), what a
 * node means (flag-deleted nodes are returned like any other).
 *
 * Position: (pgno, slot, key).  A move re-latches pgno and accepts it if the
 * page is still a leaf of this tree and holds the key (at the slot, or found
 * by binary search), or brackets it (first < key < last: the key was deleted
 * but its neighbours are here).  Otherwise the move is redone as a seek from
 * the root by key (next = GT key, prev = LT key).
 *
 * Leaf image (issue 20).  A step that had to latch its leaf keeps a copy of
 * the whole page (leaf) with the frame and its change count (cache C6).  The
 * next steps (either direction) read their neighbour from that copy,
 * without a latch, the cache's hash or its mutex, when:
 *   LC1. bf_seq_same(pbfLeaf, seqLeaf) (no exclusive latch was granted on the
 *        frame and it kept its page since the copy, so the copy is the page
 *        as of that check -- a leaf of this tree, checked when latched), and
 *        the current node is the copy's slot islot, and the neighbour slot
 *        is on the copy.  The current node's data (bt_current) then points
 *        into the copy, which only the next step replaces.
 *   LC2. Past the copy's last node (moving next, LC1 otherwise holding) the
 *        next leaf is latched directly (next_leaf), without latching the
 *        copied page again.
 * Anything else (the page changed in any way, the first node of the copy
 * moving back, a position set by seek / first / last) takes the latched
 * path above.
 * Seeks copy one node only, so that point reads copy no page.
 */
#include "btree_int.h"

#define BT_RESTART ((JET_ERR)0x7FFF0001)   /* private: redo the seek from the root */

struct bt_cursor {
    bt_env   env;          /* copy of the caller's: read-only use */
    uint32_t pgnoRoot;
    uint32_t objid;
    uint32_t cbPage;
    int      positioned;
    uint32_t pgno, islot;  /* where the current node was seen */
    uint8_t *buf;          /* key, then data, of the current node */
    const uint8_t *pData;  /* its data: in buf, or in the leaf copy (LC1) */
    uint32_t cbKey, cbData, flags;
    /* LC1: leaf image; fLeaf says it holds page pgno and islot indexes it */
    uint8_t *leaf;         /* cbPage bytes, allocated at the first step */
    bf      *pbfLeaf;      /* the frame it was copied from (cache C6) */
    uint64_t seqLeaf;      /* bf_seq(pbfLeaf) while latched for the copy */
    int      fLeaf;
    int      fWantLeaf;    /* this positioning is a step: copy the leaf */
};

JET_ERR bt_cursor_open(bt_env *env, uint32_t pgnoRoot, bt_cursor **ppcur)
{
    uint32_t cbPage = cache_page_size(env->pc);
    bt_cursor *cur = os_calloc(1, sizeof *cur);
    uint8_t *buf = os_malloc(bt_node_max(cbPage));
    bf *pbf = NULL;
    JET_ERR err = (cur == NULL || buf == NULL) ? JET_errOutOfMemory : JET_errSuccess;
    if (err >= 0)
        err = bt_read_root(env, pgnoRoot, LATCH_SHARED, &pbf);
    if (err < 0) {
        os_free(buf);
        os_free(cur);
        return err;
    }
    cur->env = *env;
    cur->pgnoRoot = pgnoRoot;
    cur->objid = pg_objid(bf_data(pbf));
    cur->cbPage = cbPage;
    cur->buf = buf;
    cache_release(pbf);
    *ppcur = cur;
    return JET_errSuccess;
}

void bt_cursor_close(bt_cursor *pcur)
{
    if (pcur == NULL)
        return;
    os_free(pcur->buf);
    os_free(pcur->leaf);
    os_free(pcur);
}

/* Copy node i of a page image (a latched leaf, or the cursor's leaf copy)
 * as the current node. */
static JET_ERR node_from(bt_cursor *cur, const uint8_t *pg, uint32_t pgno, uint32_t i)
{
    bt_node n;
    bt_pg_node(pg, cur->cbPage, i, &n);
    if ((uint64_t)n.cbKey + n.cbData > bt_node_max(cur->cbPage))
        return JET_errDatabaseCorrupted;
    /* The search key may live in buf: it is not used after this point. */
    if (n.cbPfx == 0) {
        memmove(cur->buf, n.sfx, n.cbKey);
    } else {
        memcpy(cur->buf, n.pfx, n.cbPfx);
        memcpy(cur->buf + n.cbPfx, n.sfx, n.cbSfx);
    }
    if (pg == cur->leaf) {
        cur->pData = n.data; /* the copy stays until the next step (LC1) */
    } else {
        memcpy(cur->buf + n.cbKey, n.data, n.cbData);
        cur->pData = cur->buf + n.cbKey;
    }
    cur->cbKey = n.cbKey;
    cur->cbData = n.cbData;
    cur->flags = n.flags;
    cur->pgno = pgno;
    cur->islot = i;
    cur->positioned = 1;
    return JET_errSuccess;
}

/* Copy node i of a latched leaf as the current node; a step (fWantLeaf)
 * keeps a copy of the whole leaf for the next one (LC1). */
static JET_ERR position_on(bt_cursor *cur, bf *pbf, uint32_t i)
{
    cur->fLeaf = 0;
    if (cur->fWantLeaf && cur->leaf == NULL)
        cur->leaf = os_malloc(cur->cbPage); /* no image without memory: not an error */
    if (!cur->fWantLeaf || cur->leaf == NULL)
        return node_from(cur, bf_data(pbf), bf_pgno(pbf), i);
    memcpy(cur->leaf, bf_data(pbf), cur->cbPage);
    cur->pbfLeaf = pbf;
    cur->seqLeaf = bf_seq(pbf); /* latched: no exclusive holder can move it now */
    JET_ERR err = node_from(cur, cur->leaf, bf_pgno(pbf), i);
    cur->fLeaf = err >= 0;
    return err;
}

/* Latch pgno shared if it is (still) a leaf of this tree; *pfStale = 1 and
 * nothing latched if it is not (freed, reused, split away...). */
static JET_ERR read_leaf(bt_cursor *cur, uint32_t pgno, bf **ppbf, int *pfStale)
{
    bf *pbf = NULL;
    *pfStale = 0;
    JET_ERR err = cache_read(cur->env.pc, cur->env.dbid, pgno, LATCH_SHARED, &pbf);
    if (err == JET_errPageNotInitialized || err == JET_errFileIOBeyondEOF) {
        *pfStale = 1;
        return JET_errSuccess;
    }
    if (err == JET_errReadVerifyFailure)
        bt_report_corrupt(&cur->env, pgno, -1, err, "checksum mismatch");
    if (err < 0)
        return err;
    const uint8_t *pg = bf_data(pbf);
    int32_t iNode;
    if (!(pg_flags(pg) & BTP_LEAF) || pg_objid(pg) != cur->objid ||
        bt_latched_problem(pbf, cur->cbPage, &iNode) != NULL) {
        cache_release(pbf);
        *pfStale = 1;
        return JET_errSuccess;
    }
    *ppbf = pbf;
    return JET_errSuccess;
}

/* From slot i of a latched leaf, the first node at or after it, moving right
 * by coupling (L2).  Consumes the latch. */
static JET_ERR forward_from(bt_cursor *cur, bf *pbf, uint32_t i)
{
    for (;;) {
        const uint8_t *pg = bf_data(pbf);
        if (i < pg_cslot(pg)) {
            JET_ERR err = position_on(cur, pbf, i);
            cache_release(pbf);
            return err;
        }
        uint32_t pgnoNext = pg_next(pg), pgno = bf_pgno(pbf);
        if (pgnoNext == 0) {
            cache_release(pbf);
            return JET_errRecordNotFound;
        }
        bf *pbfNext = NULL;
        JET_ERR err = bt_read_tree_page(&cur->env, pgnoNext, cur->objid, LATCH_SHARED, &pbfNext);
        cache_release(pbf);
        if (err < 0)
            return err;
        if (!pg_is_leaf(bf_data(pbfNext)) || pg_prev(bf_data(pbfNext)) != pgno) {
            cache_release(pbfNext);
            return JET_errBadPageLink;
        }
        pbf = pbfNext;
        i = 0;
    }
}

#define BT_BEFORE_LT  0   /* nodes < key */
#define BT_BEFORE_LE  1   /* nodes <= key */
#define BT_BEFORE_ALL 2   /* every node */

/* How many nodes of a leaf come before the bound. */
static uint32_t count_before(const bt_cursor *cur, const uint8_t *pg, const void *key, uint32_t cbKey, int how)
{
    if (how == BT_BEFORE_ALL)
        return pg_cslot(pg);
    int found;
    uint32_t i = bt_pg_search(pg, cur->cbPage, key, cbKey, &found);
    return i + (how == BT_BEFORE_LE && found);
}

/* The last node before the bound, starting at a latched leaf and moving left
 * (L2: release, latch the left page, check that its next is still this
 * page, re-latch this page to see whether it gained a node meanwhile).
 * Consumes the latch.  BT_RESTART when the left page changed under us. */
static JET_ERR backward_from(bt_cursor *cur, bf *pbf, const void *key, uint32_t cbKey, int how)
{
    for (;;) {
        uint32_t c = count_before(cur, bf_data(pbf), key, cbKey, how);
        if (c > 0) {
            JET_ERR err = position_on(cur, pbf, c - 1);
            cache_release(pbf);
            return err;
        }
        uint32_t pgno = bf_pgno(pbf), pgnoL = pg_prev(bf_data(pbf));
        cache_release(pbf);
        if (pgnoL == 0)
            return JET_errRecordNotFound;
        bf *pbfL = NULL, *pbfC = NULL;
        int fStale;
        JET_ERR err = read_leaf(cur, pgnoL, &pbfL, &fStale);
        if (err < 0)
            return err;
        if (fStale)
            return BT_RESTART;
        if (pg_next(bf_data(pbfL)) != pgno) {
            cache_release(pbfL);
            return BT_RESTART;
        }
        /* pbfL's next is pgno and pbfL is latched: pgno is still its right
         * neighbour.  Coupling left to right, look at it again. */
        err = read_leaf(cur, pgno, &pbfC, &fStale);
        if (err >= 0 && fStale)
            err = JET_errBadPageLink;
        if (err < 0) {
            cache_release(pbfL);
            return err;
        }
        c = count_before(cur, bf_data(pbfC), key, cbKey, how);
        if (c > 0) {
            err = position_on(cur, pbfC, c - 1);
            cache_release(pbfC);
            cache_release(pbfL);
            return err;
        }
        cache_release(pbfC);
        pbf = pbfL;
    }
}

static JET_ERR seek_once(bt_cursor *cur, const void *key, uint32_t cbKey, int mode)
{
    bf *pbf = NULL;
    int how = mode == BT_SEEK_LT ? BT_DESCEND_BEFORE : BT_DESCEND_KEY;
    JET_ERR err = bt_descend_shared(&cur->env, cur->pgnoRoot, key, cbKey, how, &pbf);
    if (err < 0)
        return err;
    int found;
    uint32_t i;
    switch (mode) {
    case BT_SEEK_EQ:
        i = bt_pg_search(bf_data(pbf), cur->cbPage, key, cbKey, &found);
        err = found ? position_on(cur, pbf, i) : JET_errRecordNotFound;
        cache_release(pbf);
        return err;
    case BT_SEEK_GE:
    case BT_SEEK_GT:
        i = bt_pg_search(bf_data(pbf), cur->cbPage, key, cbKey, &found);
        return forward_from(cur, pbf, i + (mode == BT_SEEK_GT && found));
    default:
        return backward_from(cur, pbf, key, cbKey, mode == BT_SEEK_LE ? BT_BEFORE_LE : BT_BEFORE_LT);
    }
}

static JET_ERR seek(bt_cursor *cur, const void *key, uint32_t cbKey, int mode)
{
    JET_ERR err;
    do
        err = seek_once(cur, key, cbKey, mode);
    while (err == BT_RESTART);
    if (err < 0)
        cur->positioned = 0;
    return err;
}

JET_ERR bt_seek(bt_cursor *pcur, const void *key, uint32_t cbKey, int mode)
{
    if (mode < BT_SEEK_EQ || mode > BT_SEEK_LT || (cbKey && key == NULL)) {
        pcur->positioned = 0;
        return JET_errInvalidParameter;
    }
    return seek(pcur, key, cbKey, mode);
}

static JET_ERR end_once(bt_cursor *cur, int fLast)
{
    bf *pbf = NULL;
    JET_ERR err = bt_descend_shared(&cur->env, cur->pgnoRoot, NULL, 0, fLast ? BT_DESCEND_LAST : BT_DESCEND_FIRST,
                                    &pbf);
    if (err < 0)
        return err;
    return fLast ? backward_from(cur, pbf, NULL, 0, BT_BEFORE_ALL) : forward_from(cur, pbf, 0);
}

static JET_ERR go_end(bt_cursor *cur, int fLast)
{
    JET_ERR err;
    do
        err = end_once(cur, fLast);
    while (err == BT_RESTART);
    if (err < 0)
        cur->positioned = 0;
    return err;
}

JET_ERR bt_first(bt_cursor *pcur)
{
    return go_end(pcur, 0);
}

JET_ERR bt_last(bt_cursor *pcur)
{
    return go_end(pcur, 1);
}

/* L7: find the remembered key on the remembered page.  On success the leaf
 * is latched and *pi is the key's slot (*pfExact) or the slot of the first
 * node after it; *pfStale when the page no longer brackets the key. */
static JET_ERR revalidate(bt_cursor *cur, bf **ppbf, uint32_t *pi, int *pfExact, int *pfStale)
{
    bf *pbf = NULL;
    JET_ERR err = read_leaf(cur, cur->pgno, &pbf, pfStale);
    if (err < 0 || *pfStale)
        return err;
    const uint8_t *pg = bf_data(pbf);
    uint32_t cslot = pg_cslot(pg);
    bt_node n;
    if (cur->islot < cslot) {
        bt_pg_node(pg, cur->cbPage, cur->islot, &n);
        if (bt_node_cmp(&n, cur->buf, cur->cbKey) == 0) {
            *pi = cur->islot;
            *pfExact = 1;
            *ppbf = pbf;
            return JET_errSuccess;
        }
    }
    int found;
    uint32_t i = bt_pg_search(pg, cur->cbPage, cur->buf, cur->cbKey, &found);
    if (!found && (i == 0 || i == cslot)) {
        /* The key is outside this page's nodes: the page may no longer be
         * the one whose range holds it. */
        cache_release(pbf);
        *pfStale = 1;
        return JET_errSuccess;
    }
    *pi = i;
    *pfExact = found;
    *ppbf = pbf;
    return JET_errSuccess;
}

static JET_ERR step_latched(bt_cursor *cur, int fNext);

/* LC2: past the last node of a current leaf image (LC1 holds), the next leaf
 * is the image's next page: latch it (quietly: it may have been freed and
 * reused since the copy) and accept it if it is a leaf of this tree whose
 * previous page is ours and our page is still unchanged (LC1) while it is
 * latched -- what coupling (L2) would have checked, without latching our
 * page again.  *pfDone = 0: take the latched path. */
static JET_ERR next_leaf(bt_cursor *cur, int *pfDone)
{
    *pfDone = 0;
    if (cur->islot + 1 < pg_cslot(cur->leaf) || !bf_seq_same(cur->pbfLeaf, cur->seqLeaf))
        return JET_errSuccess;
    uint32_t pgnoNext = pg_next(cur->leaf);
    if (pgnoNext == 0) {
        *pfDone = 1;
        cur->positioned = 0;
        return JET_errNoCurrentRecord;
    }
    bf *pbf = NULL;
    int fStale = 0;
    JET_ERR err = read_leaf(cur, pgnoNext, &pbf, &fStale);
    if (err < 0) {
        /* an I/O error (the page, or a victim's write-back) is the move's
         * answer, as on the latched path: not retried there */
        *pfDone = 1;
        cur->positioned = 0;
        return err;
    }
    if (fStale)
        return JET_errSuccess; /* the latched path decides (and reports) */
    if (pg_prev(bf_data(pbf)) != cur->pgno || !bf_seq_same(cur->pbfLeaf, cur->seqLeaf)) {
        cache_release(pbf);
        return JET_errSuccess;
    }
    *pfDone = 1;
    err = forward_from(cur, pbf, 0);
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    if (err < 0)
        cur->positioned = 0;
    return err;
}

static JET_ERR step(bt_cursor *cur, int fNext)
{
    if (!cur->positioned)
        return JET_errNoCurrentRecord;
    if (cur->fLeaf && (fNext ? cur->islot + 1 < pg_cslot(cur->leaf) : cur->islot > 0) &&
        bf_seq_same(cur->pbfLeaf, cur->seqLeaf)) {
        JET_ERR err = node_from(cur, cur->leaf, cur->pgno, fNext ? cur->islot + 1 : cur->islot - 1); /* LC1 */
        if (err < 0)
            cur->positioned = 0;
        return err;
    }
    JET_ERR err = JET_errSuccess;
    int fDone = 0;
    cur->fWantLeaf = 1;
    if (cur->fLeaf && fNext)
        err = next_leaf(cur, &fDone);
    if (!fDone)
        err = step_latched(cur, fNext);
    cur->fWantLeaf = 0;
    return err;
}

static JET_ERR step_latched(bt_cursor *cur, int fNext)
{
    bf *pbf = NULL;
    uint32_t i = 0;
    int fExact = 0, fStale = 0;
    JET_ERR err = revalidate(cur, &pbf, &i, &fExact, &fStale);
    if (err >= 0 && !fStale) {
        if (fNext)
            err = forward_from(cur, pbf, i + fExact);
        else
            err = backward_from(cur, pbf, cur->buf, cur->cbKey, BT_BEFORE_LT);
    }
    if (err >= 0 && fStale)
        err = BT_RESTART;
    if (err == BT_RESTART)
        err = seek(cur, cur->buf, cur->cbKey, fNext ? BT_SEEK_GT : BT_SEEK_LT);
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    if (err < 0)
        cur->positioned = 0;
    return err;
}

JET_ERR bt_next(bt_cursor *pcur)
{
    return step(pcur, 1);
}

JET_ERR bt_prev(bt_cursor *pcur)
{
    return step(pcur, 0);
}

JET_ERR bt_current(bt_cursor *pcur, const void **ppkey, uint32_t *pcbKey, const void **ppdata,
                   uint32_t *pcbData, uint32_t *pnodeflags)
{
    if (!pcur->positioned)
        return JET_errNoCurrentRecord;
    if (ppkey)
        *ppkey = pcur->buf;
    if (pcbKey)
        *pcbKey = pcur->cbKey;
    if (ppdata)
        *ppdata = pcur->pData;
    if (pcbData)
        *pcbData = pcur->cbData;
    if (pnodeflags)
        *pnodeflags = pcur->flags;
    return JET_errSuccess;
}
