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
 * Every page is latched before any changes (A4): the siblings, the leaf, the
 * parent (held since the descent), then the space page and the new page
 * (L6); once R3/R6 and R4 hold, the rebuild is infallible page.c calls on
 * pages rebuilt from copies taken before the change.
 */
#include <assert.h>
#include "btree_int.h"

/* R3: minimum free bytes (cap / BT_REDIST_SLACK) the group keeps. */
#define BT_REDIST_SLACK 6
/* R2: most pages in a group (the leaf and both its siblings). */
#define BT_REDIST_PAGES 3

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
