/*
 * redist.c -- B*-tree style redistribution on insert: a full leaf hands nodes
 * to an adjacent sibling under the same parent (and the parent's separator
 * between them is replaced) instead of splitting, so random inserts leave
 * leaves fuller than the half pages a split makes (issue 20, space).
 *
 * Owns: the redistribution policy (R1..R4 below) and the moves it makes.
 * Must not touch: page byte layout (page.c: nodes are read with bt_pg_node
 * and written with bt_pg_insert / bt_pg_delete only, so a key's on-page
 * encoding is page.c's business), logging (group.c: the moves are one
 * structure change of bt_smo, logged at bt_smo_end like a split), splits and
 * the space page (smo.c, space.c: a redistribution allocates nothing).
 *
 * Policy:
 *   R1. Only an insert into a full leaf that has a parent (the root splits by
 *       push-down, T4), and not the append / prepend cases (ascending or
 *       descending inserts at the tree's ends: smo.c leaves those pages full
 *       already).
 *   R2. The right sibling under the same parent is tried first (the leaf is
 *       held: rightward, L5), then the left one (the leaf is let go, the left
 *       sibling latched, the leaf latched again: left to right, L5; the leaf
 *       cannot change meanwhile, its parent is held exclusively, L4).  The
 *       other child of a different parent is never used: its separator lives
 *       higher and may not be held.
 *   R3. A sibling is used when the leaf, the new node and the sibling leave
 *       at least cap / BT_REDIST_SLACK bytes free between the two pages; the
 *       nodes are then cut where the two pages' bytes are most even (so the
 *       next insert into either does not redistribute again at once), moving
 *       at least one node and leaving at least one on each page.  Page bytes
 *       are counted exactly under R5.
 *   R4. The parent must take the new separator in place of the old one (its
 *       free bytes plus the old separator's node); otherwise, or when no
 *       sibling qualifies, the caller splits as before.
 *   R5. Key prefixes (X1, files with DB_INCOMPAT_KEY_PREFIX): both pages are
 *       re-encoded with the common prefix of their final first and last keys
 *       (at most bt_pfx_max) before nodes move in, so every node on them is
 *       stored after that prefix and each page's bytes are known before the
 *       change starts (prefix + the nodes' sizes after it): R3 plans with
 *       them, and each bt_pg_insert costs exactly its node's size after the
 *       prefix (no node is stored whole, so no shorter prefix is cheaper).
 *       Counting whole keys instead (an upper bound) refused almost every
 *       redistribution on prefix pages, where a key's whole size is ten times
 *       its stored one.
 * Every page is latched before any changes (A4): the sibling, the leaf and
 * the parent (held since the descent) are all the change needs; once R3 and
 * R4 hold the moves are infallible page.c calls.
 */
#include <assert.h>
#include "btree_int.h"

/* R3: minimum free bytes (cap / BT_REDIST_SLACK) the pair keeps. */
#define BT_REDIST_SLACK 4

/* Node j of the leaf with nd inserted at slot. */
static void merged(const uint8_t *pg, uint32_t cbPage, uint32_t slot, const bt_node *nd, uint32_t j,
                   bt_node *out)
{
    if (j < slot)
        bt_pg_node(pg, cbPage, j, out);
    else if (j == slot)
        *out = *nd;
    else
        bt_pg_node(pg, cbPage, j - 1, out);
}

/* Child i of the held parent, latched exclusively and held by s->g. */
static JET_ERR hold_sibling(bt_smo *s, const uint8_t *pgParent, uint32_t i, bf **ppbf)
{
    *ppbf = NULL;
    if (bt_grp_find(&s->g, bt_pg_child(pgParent, s->cbPage, i)) != NULL)
        return JET_errBadParentPageLink;
    JET_ERR err = bt_read_child(s->env, pgParent, i, LATCH_EXCLUSIVE, ppbf);
    if (err >= 0 && !pg_is_leaf(bf_data(*ppbf))) {
        cache_release(*ppbf);
        err = JET_errBadParentPageLink;
    }
    if (err >= 0)
        err = bt_grp_hold(&s->g, *ppbf);
    if (err < 0)
        *ppbf = NULL;
    return err;
}

/* R5: the prefix a leaf built of the nodes from `first` to `last` (in key
 * order) gets: their common prefix, at most bt_pfx_max; 0 in a format-1 file
 * (X1).  Every key between them shares it, so each of the page's nodes is
 * stored after it and the page's bytes are exact (pfx_bytes). */
static uint32_t pfx_of(const bt_smo *s, const bt_node *first, const bt_node *last)
{
    if (!s->env->fKeyPrefix)
        return 0;
    uint32_t cb = bt_node_lcp(first, last), cbMax = bt_pfx_max(s->cbPage);
    return cb < cbMax ? cb : cbMax;
}

/* Bytes of a leaf of c nodes whose whole-key sizes sum to w, all stored
 * after a prefix of p bytes (bt_pg_used's count: the prefix included). */
static uint64_t pfx_bytes(uint64_t w, uint32_t c, uint32_t p)
{
    return w - (uint64_t)c * p + p;
}

/* R3: the cut of the leaf's nodes plus nd (n of them): fRight, nodes [m, n)
 * go to the front of the right sibling sib; else nodes [0, m) go to the end
 * of the left one.  Page bytes are exact under R5 (each page re-encoded with
 * the common prefix of its first and last key).  0 when the sibling does not
 * qualify. */
static int plan_cut(const bt_smo *s, const uint8_t *leaf, uint32_t slot, const bt_node *nd, const uint8_t *sib,
                    int fRight, uint32_t *pm)
{
    uint32_t cap = bt_cap(s->cbPage), n = pg_cslot(leaf) + 1, cSib = pg_cslot(sib);
    uint64_t total = 0, wSib = 0;
    if (n < 2 || cSib == 0)
        return 0;
    for (uint32_t j = 0; j < n; j++) {
        bt_node x;
        merged(leaf, s->cbPage, slot, nd, j, &x);
        total += bt_node_size(x.cbKey, x.cbData);
    }
    for (uint32_t j = 0; j < cSib; j++) {
        bt_node x;
        bt_pg_node(sib, s->cbPage, j, &x);
        wSib += bt_node_size(x.cbKey, x.cbData);
    }
    bt_node first, last, sibEdge;
    merged(leaf, s->cbPage, slot, nd, 0, &first);
    merged(leaf, s->cbPage, slot, nd, n - 1, &last);
    bt_pg_node(sib, s->cbPage, fRight ? cSib - 1 : 0, &sibEdge);
    uint64_t prefix = 0, bestDiff = UINT64_MAX;
    uint32_t best = 0;
    for (uint32_t m = 1; m < n; m++) {
        bt_node x, y;
        merged(leaf, s->cbPage, slot, nd, m - 1, &x);   /* the left page's last */
        merged(leaf, s->cbPage, slot, nd, m, &y);       /* the right page's first */
        prefix += bt_node_size(x.cbKey, x.cbData);
        /* bytes of the left page and of the right page after the move */
        uint64_t l, r;
        if (fRight) {
            l = pfx_bytes(prefix, m, pfx_of(s, &first, &x));
            r = pfx_bytes(total - prefix + wSib, n - m + cSib, pfx_of(s, &y, &sibEdge));
        } else {
            l = pfx_bytes(wSib + prefix, cSib + m, pfx_of(s, &sibEdge, &x));
            r = pfx_bytes(total - prefix, n - m, pfx_of(s, &y, &last));
        }
        if (l > cap || r > cap || l + r + cap / BT_REDIST_SLACK > 2 * (uint64_t)cap)
            continue;
        uint64_t diff = l > r ? l - r : r - l;
        if (diff < bestDiff) {
            bestDiff = diff;
            best = m;
        }
    }
    *pm = best;
    return best != 0;
}

/* R4: the separator between nodes m-1 and m of the merged leaf, copied to
 * s->sepbuf[0] (*pcbSep); 1 when the parent can take it in place of its
 * node jSep. */
static int plan_separator(bt_smo *s, const uint8_t *leaf, uint32_t slot, const bt_node *nd, uint32_t m,
                          uint32_t jSep, uint32_t *pcbSep)
{
    const uint8_t *pgParent = bf_data(s->path[s->depth - 2]);
    bt_node l, r, old;
    merged(leaf, s->cbPage, slot, nd, m - 1, &l);
    merged(leaf, s->cbPage, slot, nd, m, &r);
    uint32_t cbSep = bt_separator_len(&l, &r);
    assert(cbSep <= r.cbKey);
    bt_node_copy_key(&r, s->sepbuf[0], cbSep);
    *pcbSep = cbSep;
    bt_pg_node(pgParent, s->cbPage, jSep, &old);
    return bt_pg_free(pgParent, s->cbPage) + bt_node_size(old.cbSfx, old.cbData) >=
           bt_node_size(cbSep, BT_PGNO_SIZE);
}

/* Node jSep of the parent names the same child under the new separator. */
static void replace_separator(bt_smo *s, uint32_t jSep, uint32_t cbSep)
{
    bf *pbfParent = s->path[s->depth - 2];
    uint8_t *pg = bf_data(pbfParent), pgno[BT_PGNO_SIZE];
    assert(jSep > 0);   /* P5: node 0 keeps its empty key */
    le_put32(pgno, bt_pg_child(pg, s->cbPage, jSep));
    bt_grp_change(&s->g, pbfParent);
    bt_pg_delete(pg, s->cbPage, jSep);
    bt_pg_insert(pg, s->cbPage, jSep, s->sepbuf[0], cbSep, pgno, BT_PGNO_SIZE, 0, s->scratch);
}

/* R5: re-encode pg with the first cb bytes of key k (copied first: k may
 * lie in pg).  All of pg's nodes share them (planned), so none is stored
 * whole and every later insert of a node between its first and last key
 * costs exactly its size after the prefix. */
static void set_pfx(bt_smo *s, uint8_t *pg, const bt_node *k, uint32_t cb)
{
    if (!s->env->fKeyPrefix)
        return;   /* format 1: no prefix pages (X1) */
    uint8_t pfx[256];
    bt_node_copy_key(k, pfx, cb);
    bt_pg_reprefix(pg, s->cbPage, pfx, cb, s->scratch);
}

/* Nodes [m, n) of the merged leaf to the front of R. */
static void move_right(bt_smo *s, bf *pbfR, uint32_t slot, const bt_node *nd, uint32_t m, uint32_t cbSep)
{
    bf *pbfL = s->path[s->depth - 1];
    uint8_t *leaf = bf_data(pbfL), *pgR = bf_data(pbfR);
    uint32_t n = pg_cslot(leaf) + 1, jParent = s->islot[s->depth - 2];
    bt_node first, x, y, rLast;
    uint8_t kFirst[BT_KEY_MAX];
    merged(leaf, s->cbPage, slot, nd, 0, &first);
    merged(leaf, s->cbPage, slot, nd, m - 1, &x);
    merged(leaf, s->cbPage, slot, nd, m, &y);
    bt_pg_node(pgR, s->cbPage, pg_cslot(pgR) - 1, &rLast);
    uint32_t pL = pfx_of(s, &first, &x), pR = pfx_of(s, &y, &rLast);
    bt_node_copy_key(&first, kFirst, pL);   /* the leaf changes before it is used */
    bt_grp_change(&s->g, pbfL);
    bt_grp_change(&s->g, pbfR);
    set_pfx(s, pgR, &y, pR);
    for (uint32_t j = n; j-- > m;) {
        merged(leaf, s->cbPage, slot, nd, j, &x);
        bt_pg_insert(pgR, s->cbPage, 0, bt_node_key(&x, s->scratch2), x.cbKey, x.data, x.cbData, x.flags,
                     s->scratch);
    }
    uint32_t mOld = slot < m ? m - 1 : m;   /* the leaf's own nodes that stay */
    for (uint32_t i = pg_cslot(leaf); i-- > mOld;)
        bt_pg_delete(leaf, s->cbPage, i);
    bt_node kf = bt_node_of(kFirst, pL, NULL, 0, 0);
    set_pfx(s, leaf, &kf, pL);
    if (slot < m)
        bt_pg_insert(leaf, s->cbPage, slot, bt_node_key(nd, s->scratch2), nd->cbKey, nd->data, nd->cbData,
                     nd->flags, s->scratch);
    replace_separator(s, jParent + 1, cbSep);
}

/* Nodes [0, m) of the merged leaf to the end of L. */
static void move_left(bt_smo *s, bf *pbfL, uint32_t slot, const bt_node *nd, uint32_t m, uint32_t cbSep)
{
    bf *pbfLeaf = s->path[s->depth - 1];
    uint8_t *leaf = bf_data(pbfLeaf), *pgL = bf_data(pbfL);
    uint32_t n = pg_cslot(leaf) + 1, jParent = s->islot[s->depth - 2];
    bt_node lFirst, x, y, last;
    uint8_t kY[BT_KEY_MAX];
    bt_pg_node(pgL, s->cbPage, 0, &lFirst);
    merged(leaf, s->cbPage, slot, nd, m - 1, &x);
    merged(leaf, s->cbPage, slot, nd, m, &y);
    merged(leaf, s->cbPage, slot, nd, n - 1, &last);
    uint32_t pL = pfx_of(s, &lFirst, &x), pR = pfx_of(s, &y, &last);
    bt_node_copy_key(&y, kY, pR);   /* the leaf changes before it is used */
    bt_grp_change(&s->g, pbfLeaf);
    bt_grp_change(&s->g, pbfL);
    set_pfx(s, pgL, &lFirst, pL);
    for (uint32_t j = 0; j < m; j++) {
        merged(leaf, s->cbPage, slot, nd, j, &x);
        bt_pg_insert(pgL, s->cbPage, pg_cslot(pgL), bt_node_key(&x, s->scratch2), x.cbKey, x.data, x.cbData,
                     x.flags, s->scratch);
    }
    uint32_t mOld = slot < m ? m - 1 : m;   /* the leaf's own nodes that go */
    for (uint32_t i = mOld; i-- > 0;)
        bt_pg_delete(leaf, s->cbPage, i);
    bt_node ky = bt_node_of(kY, pR, NULL, 0, 0);
    set_pfx(s, leaf, &ky, pR);
    if (slot >= m)
        bt_pg_insert(leaf, s->cbPage, slot - m, bt_node_key(nd, s->scratch2), nd->cbKey, nd->data, nd->cbData,
                     nd->flags, s->scratch);
    replace_separator(s, jParent, cbSep);
}

JET_ERR bt_redist_insert(bt_smo *s, const bt_node *nd, int *pfDone)
{
    *pfDone = 0;
    int d = s->depth - 1;
    if (d < 1 || s->fAppend || s->fPrepend)   /* R1 */
        return JET_errSuccess;
    const uint8_t *pgParent = bf_data(s->path[d - 1]);
    uint32_t j = s->islot[d - 1], slot = s->islot[d], pgnoLeaf = bf_pgno(s->path[d]), m = 0, cbSep = 0;
    bf *pbfSib = NULL;
    JET_ERR err;
    if (bt_pg_free(bf_data(s->path[d]), s->cbPage) >= bt_node_size(nd->cbKey, nd->cbData))
        return JET_errSuccess;   /* it fits: no structure change needed */

    if (j + 1 < pg_cslot(pgParent)) {   /* R2: the right sibling (rightward) */
        err = hold_sibling(s, pgParent, j + 1, &pbfSib);
        if (err < 0)
            return err;
        const uint8_t *leaf = bf_data(s->path[d]), *pgR = bf_data(pbfSib);
        if (pg_next(leaf) != bf_pgno(pbfSib) || pg_prev(pgR) != pgnoLeaf)
            return JET_errBadPageLink;
        if (plan_cut(s, leaf, slot, nd, pgR, 1, &m) &&
            plan_separator(s, leaf, slot, nd, m, j + 1, &cbSep)) {
            move_right(s, pbfSib, slot, nd, m, cbSep);
            *pfDone = 1;
            return JET_errSuccess;
        }
        bt_smo_let_go(s, &pbfSib);
    }
    if (j > 0) {   /* R2: the left sibling; let go of the leaf first (L5) */
        bt_smo_let_go(s, &s->path[d]);
        err = hold_sibling(s, pgParent, j - 1, &pbfSib);
        if (err >= 0)
            err = hold_sibling(s, pgParent, j, &s->path[d]);
        if (err < 0)
            return err;
        const uint8_t *leaf = bf_data(s->path[d]), *pgL = bf_data(pbfSib);
        if (pg_next(pgL) != pgnoLeaf || pg_prev(leaf) != bf_pgno(pbfSib))
            return JET_errBadPageLink;
        if (plan_cut(s, leaf, slot, nd, pgL, 0, &m) &&
            plan_separator(s, leaf, slot, nd, m, j, &cbSep)) {
            move_left(s, pbfSib, slot, nd, m, cbSep);
            *pfDone = 1;
            return JET_errSuccess;
        }
        bt_smo_let_go(s, &pbfSib);
    }
    return JET_errSuccess;
}
