/*
 * redist.c -- B*-tree style rebalancing on insert: a full leaf and its
 * siblings under the same parent share their nodes out again (the parent's
 * separators between them are replaced) instead of the leaf splitting in
 * two, so random inserts leave leaves fuller than the half pages a split
 * makes (issue 20, space).
 *
 * Owns: the rebalancing policy (R1..R6 below) and the page rebuilds it makes.
 * Must not touch: page byte layout (page.c: nodes are read with bt_pg_node
 * and written with bt_pg_insert / bt_pg_delete only, so a key's on-page
 * encoding is page.c's business), logging (group.c: the rebuild is one
 * structure change of bt_smo, logged at bt_smo_end like a split), the
 * two-way split and splits above the leaves (smo.c), free-list internals
 * (space.c: R6 takes one page with bt_space_alloc_grp).
 *
 * Policy:
 *   R1. Only an insert into a full leaf that has a parent (the root splits by
 *       push-down, T4), and not the append / prepend cases (ascending or
 *       descending inserts at the tree's ends: smo.c leaves those pages full
 *       already).
 *   R2. The group is the leaf and its siblings under the same parent (left,
 *       leaf, right; two pages when the leaf is its parent's first or last
 *       child).  It is latched left to right (the leaf is let go, the left
 *       sibling latched, the leaf latched again, then the right sibling: L5;
 *       the leaf cannot change meanwhile, its parent is held exclusively,
 *       L4).  The child of a different parent is never used: its separator
 *       lives higher and may not be held.
 *   R3. When the group's nodes plus the new one fit its pages with at least
 *       cap / BT_REDIST_SLACK bytes to spare, they are cut into the same
 *       pages at the points nearest equal byte counts (so the next insert
 *       into any of them does not rebalance again at once).  Page bytes are
 *       counted exactly under R5.
 *   R4. The parent must take the new separators (the shortest key between
 *       two pages) in place of the old ones (its free bytes plus the old
 *       separators' nodes); otherwise, or when no plan fits, the caller
 *       splits the leaf in two (smo.c, which may split the parent).
 *   R5. Key prefixes (X1, files with DB_INCOMPAT_KEY_PREFIX): every page is
 *       rebuilt with the common prefix of its final first and last keys (at
 *       most bt_pfx_max), so every node on it is stored after that prefix
 *       and each page's bytes are known before the change starts (prefix +
 *       the nodes' sizes after it): R3 and R6 plan with them.  Counting
 *       whole keys instead (an upper bound) refused almost every
 *       redistribution on prefix pages, where a key's whole size is ten
 *       times its stored one.
 *   R6. When the group is too full for R3 (k pages, k = 2 or 3), its nodes
 *       are cut into k + 1 pages of equal bytes (a 2-to-3 or 3-to-4 split,
 *       each page about 2/3 or 3/4 full, where a plain split leaves two half
 *       pages beside full siblings).  The new page goes before the group's
 *       last page, so every link it needs (T1) is inside the group; the
 *       parent gets one more separator (R4).  Random inserts fill leaves to
 *       about 0.85 (two-page redistribution alone: 0.78; slack: docs/benchmarks.md).
 *   R7. A leaf of more than BT_GROUP_NODES_MAX nodes (index entries: small
 *       nodes, often inserted in runs at many points) uses the two-page
 *       redistribution instead (pair_insert: the right sibling, then the
 *       left, takes nodes until the two pages are even, moving only those
 *       nodes, when the pair keeps a quarter page free; else the caller
 *       splits): rebuilding three or four pages of a few hundred nodes cost
 *       index3 a third more CPU and log, and its runs of inserts (by_age)
 *       fill worse with R6.
 * Every page is latched before any changes (A4): the siblings, the leaf, the
 * parent (held since the descent), then the space page and the new page
 * (L6); once R3/R6 and R4 hold, the rebuild is infallible page.c calls on
 * pages rebuilt from copies taken before the change.
 */
#include <assert.h>
#include "btree_int.h"

/* R3: minimum free bytes (cap / BT_REDIST_SLACK) the group keeps. */
#define BT_REDIST_SLACK 6
/* R7: the two-page redistribution's slack, and the most nodes a leaf may
 * have for the group rebalance (R2-R6) rather than the pair (R7). */
#define BT_PAIR_SLACK 4
#define BT_GROUP_NODES_MAX 64
/* R2: most pages in a group (the leaf and both its siblings). */
#define BT_REDIST_PAGES 3

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
        if (l > cap || r > cap || l + r + cap / BT_PAIR_SLACK > 2 * (uint64_t)cap)
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

/* R7: the two-page redistribution of pages of many small nodes. */
static JET_ERR pair_insert(bt_smo *s, const bt_node *nd, int *pfDone)
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

/* The group's nodes in key order (the leaf's with nd at its slot), read from
 * the copies of the group's pages (R6: the pages are rebuilt from them). */
typedef struct rd_set {
    uint32_t  n;
    bt_node  *node;
    uint64_t *cum;    /* cum[i]: whole sizes of nodes [0, i) */
} rd_set;

/* R3/R6: cut the group's nodes into kOut pages of about equal whole-size
 * bytes: page q gets nodes [cut[q], cut[q+1]) with prefix pfx[q]; *pused:
 * the pages' exact bytes (R5).  0 when a page would not fit. */
static int plan_pages(const bt_smo *s, const rd_set *rs, uint32_t kOut, uint32_t *cut, uint32_t *pfx,
                      uint64_t *pused)
{
    uint32_t n = rs->n, cap = bt_cap(s->cbPage);
    uint64_t W = rs->cum[n];
    if (n < kOut)
        return 0;
    cut[0] = 0;
    cut[kOut] = n;
    uint32_t i = 0;
    for (uint32_t q = 1; q < kOut; q++) {
        uint64_t target = W * q / kOut;
        while (i < n && rs->cum[i] < target)
            i++;
        /* the node boundary nearest the target */
        uint32_t c = (i > 0 && target - rs->cum[i - 1] < rs->cum[i] - target) ? i - 1 : i;
        if (c < cut[q - 1] + 1)
            c = cut[q - 1] + 1;
        if (c > n - (kOut - q))
            c = n - (kOut - q);
        cut[q] = c;
    }
    *pused = 0;
    for (uint32_t q = 0; q < kOut; q++) {
        uint32_t a = cut[q], b = cut[q + 1];
        if (b <= a)
            return 0;
        pfx[q] = pfx_of(s, &rs->node[a], &rs->node[b - 1]);
        uint64_t bytes = pfx_bytes(rs->cum[b] - rs->cum[a], b - a, pfx[q]);
        if (bytes > cap)
            return 0;
        *pused += bytes;
    }
    return 1;
}

/* R4: the parent takes the kOut - 1 separators of the new cuts in place of
 * its k - 1 nodes after j0 (the group's separators but the first). */
static int parent_takes(const bt_smo *s, const uint8_t *pgParent, uint32_t j0, uint32_t k, const rd_set *rs,
                        const uint32_t *cut, uint32_t kOut)
{
    uint64_t have = bt_pg_free(pgParent, s->cbPage), need = 0;
    for (uint32_t q = 1; q < k; q++) {
        bt_node old;
        bt_pg_node(pgParent, s->cbPage, j0 + q, &old);
        have += bt_node_size(old.cbSfx, old.cbData);
    }
    for (uint32_t q = 1; q < kOut; q++)
        need += bt_node_size(bt_separator_len(&rs->node[cut[q] - 1], &rs->node[cut[q]]), BT_PGNO_SIZE);
    return have >= need;
}

/* R6: rebuild the group as the pages out[0..kOut) (left to right) from the
 * plan, relink them, and give the parent their separators.  Infallible:
 * every page is held (and the new one allocated) already. */
static void rebuild(bt_smo *s, bf **out, uint32_t kOut, uint32_t k, uint32_t j0, const rd_set *rs,
                    const uint32_t *cut, const uint32_t *pfx, uint32_t pgnoPrev, uint32_t pgnoNext)
{
    uint32_t cbPage = s->cbPage;
    for (uint32_t q = 0; q < kOut; q++) {
        uint8_t *pg = bf_data(out[q]), kp[256];
        bt_grp_change(&s->g, out[q]);
        bt_pg_init(pg, cbPage, s->objid, BTP_LEAF, 0);
        if (pfx[q]) {
            bt_node_copy_key(&rs->node[cut[q]], kp, pfx[q]);
            bt_pg_set_prefix(pg, cbPage, kp, pfx[q]);
        }
        for (uint32_t i = cut[q]; i < cut[q + 1]; i++) {
            const bt_node *x = &rs->node[i];
            bt_pg_insert(pg, cbPage, pg_cslot(pg), bt_node_key(x, s->scratch2), x->cbKey, x->data, x->cbData,
                         x->flags, NULL);
        }
        pg_set_prev(pg, q > 0 ? bf_pgno(out[q - 1]) : pgnoPrev);   /* T1 */
        pg_set_next(pg, q + 1 < kOut ? bf_pgno(out[q + 1]) : pgnoNext);
    }
    bf *pbfParent = s->path[s->depth - 2];
    uint8_t *pgParent = bf_data(pbfParent);
    bt_grp_change(&s->g, pbfParent);
    for (uint32_t q = k; q-- > 1;)
        bt_pg_delete(pgParent, cbPage, j0 + q);
    for (uint32_t q = 1; q < kOut; q++) {   /* P5: node j0 keeps its key (and -infinity at 0) */
        const bt_node *l = &rs->node[cut[q] - 1], *r = &rs->node[cut[q]];
        uint32_t cbSep = bt_separator_len(l, r);
        uint8_t pgno[BT_PGNO_SIZE];
        assert(cbSep <= r->cbKey);
        bt_node_copy_key(r, s->sepbuf[0], cbSep);
        le_put32(pgno, bf_pgno(out[q]));
        bt_pg_insert(pgParent, cbPage, j0 + q, s->sepbuf[0], cbSep, pgno, BT_PGNO_SIZE, 0, s->scratch);
    }
}

JET_ERR bt_redist_insert(bt_smo *s, const bt_node *nd, int *pfDone)
{
    *pfDone = 0;
    int d = s->depth - 1;
    if (d < 1 || s->fAppend || s->fPrepend)   /* R1 */
        return JET_errSuccess;
    const uint8_t *pgParent = bf_data(s->path[d - 1]);
    uint32_t j = s->islot[d - 1], slot = s->islot[d], cChild = pg_cslot(pgParent), cbPage = s->cbPage;
    if (bt_pg_free(bf_data(s->path[d]), cbPage) >= bt_node_size(nd->cbKey, nd->cbData))
        return JET_errSuccess;   /* it fits: no structure change needed */
    if (cChild < 2)
        return JET_errSuccess;
    if (pg_cslot(bf_data(s->path[d])) > BT_GROUP_NODES_MAX)
        return pair_insert(s, nd, pfDone);   /* R7 */

    /* R2: the group, latched left to right (L5). */
    bf *grp[BT_REDIST_PAGES] = { 0 };
    uint32_t k = 0, iLeaf, j0 = j > 0 ? j - 1 : j;
    JET_ERR err;
    if (j > 0) {
        bt_smo_let_go(s, &s->path[d]);
        err = hold_sibling(s, pgParent, j - 1, &grp[k++]);
        if (err >= 0)
            err = hold_sibling(s, pgParent, j, &s->path[d]);
        if (err < 0)
            return err;
    }
    iLeaf = k;
    grp[k++] = s->path[d];
    if (j + 1 < cChild) {
        err = hold_sibling(s, pgParent, j + 1, &grp[k++]);
        if (err < 0)
            return err;
    }
    for (uint32_t q = 1; q < k; q++)
        if (pg_next(bf_data(grp[q - 1])) != bf_pgno(grp[q]) || pg_prev(bf_data(grp[q])) != bf_pgno(grp[q - 1]))
            return JET_errBadPageLink;

    /* The nodes, from copies of the pages (the rebuild overwrites them). */
    uint32_t n = 1;
    for (uint32_t q = 0; q < k; q++)
        n += pg_cslot(bf_data(grp[q]));
    uint8_t *mem = os_malloc((size_t)k * cbPage + (size_t)n * sizeof(bt_node) + ((size_t)n + 1) * sizeof(uint64_t));
    if (mem == NULL)
        return JET_errOutOfMemory;
    rd_set rs = { 0, (bt_node *)(mem + (size_t)k * cbPage), NULL };
    rs.cum = (uint64_t *)(rs.node + n);
    for (uint32_t q = 0; q < k; q++) {
        uint8_t *copy = mem + (size_t)q * cbPage;
        memcpy(copy, bf_data(grp[q]), cbPage);
        uint32_t c = pg_cslot(copy);
        for (uint32_t i = 0; i <= c; i++) {
            if (q == iLeaf && i == slot)
                rs.node[rs.n++] = *nd;
            if (i < c)
                bt_pg_node(copy, cbPage, i, &rs.node[rs.n++]);
        }
    }
    assert(rs.n == n);
    rs.cum[0] = 0;
    for (uint32_t i = 0; i < n; i++)
        rs.cum[i + 1] = rs.cum[i] + bt_node_size(rs.node[i].cbKey, rs.node[i].cbData);
    uint32_t pgnoPrev = pg_prev(mem), pgnoNext = pg_next(mem + (size_t)(k - 1) * cbPage);

    /* R3: the same pages when the nodes fit them with slack, else R6: one
     * more page (k + 1). */
    uint32_t cut[BT_REDIST_PAGES + 2], pfx[BT_REDIST_PAGES + 1], kOut = 0;
    uint64_t used = 0, cap = bt_cap(cbPage);
    if (plan_pages(s, &rs, k, cut, pfx, &used) && used + cap / BT_REDIST_SLACK <= k * cap)
        kOut = k;
    else if (k >= 2 && plan_pages(s, &rs, k + 1, cut, pfx, &used))
        kOut = k + 1;
    if (kOut != 0 && !parent_takes(s, pgParent, j0, k, &rs, cut, kOut))   /* R4 */
        kOut = 0;
    if (kOut == k + 1) {   /* the new page: the space page after the tree's (L6) */
        err = bt_space_alloc_grp(&s->g, s->pgnoSpace, s->objid, 1, s->fresh);
        if (err >= 0) {
            s->cfresh = 1;
            err = bt_space_hold(&s->g, s->pgnoSpace, &s->pbfSpace);
        }
        if (err < 0) {
            os_free(mem);
            return err;
        }
    }
    if (kOut == 0) {   /* the caller splits: let go of the siblings (unchanged) */
        for (uint32_t q = 0; q < k; q++)
            if (q != iLeaf)
                bt_smo_let_go(s, &grp[q]);
        os_free(mem);
        return JET_errSuccess;
    }

    /* Infallible from here (A4).  The new page goes before the group's last
     * (all the links it needs are inside the group). */
    bf *out[BT_REDIST_PAGES + 1];
    for (uint32_t q = 0; q < k; q++)
        out[q] = grp[q];
    if (kOut == k + 1) {
        out[k] = grp[k - 1];
        out[k - 1] = s->fresh[s->ifresh++];
    }
    rebuild(s, out, kOut, k, j0, &rs, cut, pfx, pgnoPrev, pgnoNext);
    os_free(mem);
    *pfDone = 1;
    return JET_errSuccess;
}
