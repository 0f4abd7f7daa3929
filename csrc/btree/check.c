/*
 * check.c -- bt_check: walk a tree and verify P1..P5 and T1..T3; and
 * bt_count_pages: the pages of a tree (JetGetObjectInfo's cPage).
 *
 * Owns: nothing on disk; it only reads.  Holds the root shared for the whole
 * walk (so no structure change runs meanwhile, L4) and latches the rest
 * top-down, one path at a time (L1).
 * Must not touch: anything it checks.
 *
 * Errors: JET_errBadPageLink (sibling links, a page reached twice),
 * JET_errBadParentPageLink (a child of the wrong tree or level, from
 * bt_read_child), JET_errDatabaseCorrupted (layout, key order, separators,
 * flags, empty pages).
 */
#include <stdlib.h>
#include "btree_int.h"

typedef struct chk {
    const bt_env *env;
    uint32_t      cbPage;
    uint64_t      cnodes;
    uint32_t      pgnoPrevLeaf;   /* last leaf visited (T1) */
    uint32_t      nextOfPrevLeaf;
    uint32_t     *pgnos;          /* every page visited */
    size_t        cpgno, cpgnoMax;
} chk;

static JET_ERR remember(chk *c, uint32_t pgno)
{
    if (c->cpgno == c->cpgnoMax) {
        size_t n = c->cpgnoMax ? 2 * c->cpgnoMax : 256;
        uint32_t *p = os_realloc(c->pgnos, n * sizeof *p);
        if (p == NULL)
            return JET_errOutOfMemory;
        c->pgnos = p;
        c->cpgnoMax = n;
    }
    c->pgnos[c->cpgno++] = pgno;
    return JET_errSuccess;
}

/* Keys of the page: strictly increasing (P1), within [lo, hi) (P5). */
static JET_ERR check_keys(const chk *c, const uint8_t *pg, const bt_node *lo, const bt_node *hi)
{
    int leaf = pg_is_leaf(pg);
    bt_node prev = { 0 }, n;
    for (uint32_t i = 0; i < pg_cslot(pg); i++) {
        bt_pg_node(pg, c->cbPage, i, &n);
        if (!leaf && i == 0) {
            if (n.cbKey != 0 || n.flags != 0)
                return JET_errDatabaseCorrupted;   /* P5: -infinity */
            continue;
        }
        if (!leaf && n.flags != 0)
            return JET_errDatabaseCorrupted;
        if (i > (leaf ? 0u : 1u) && bt_node_cmp2(&prev, &n) >= 0)
            return JET_errDatabaseCorrupted;
        if (lo && bt_node_cmp2(&n, lo) < 0)
            return JET_errDatabaseCorrupted;
        if (hi && bt_node_cmp2(&n, hi) >= 0)
            return JET_errDatabaseCorrupted;
        prev = n;
    }
    return JET_errSuccess;
}

static JET_ERR check_page(chk *c, bf *pbf, int depth, const bt_node *lo, const bt_node *hi)
{
    const uint8_t *pg = bf_data(pbf);
    uint32_t pgno = bf_pgno(pbf);
    JET_ERR err = remember(c, pgno);
    if (err < 0)
        return err;
    if (depth > BT_MAX_DEPTH || ((pg_flags(pg) & BTP_ROOT) != 0) != (depth == 0))
        return JET_errDatabaseCorrupted;
    if (depth > 0 && pg_cslot(pg) == 0)
        return JET_errDatabaseCorrupted;   /* T3 */
    err = check_keys(c, pg, lo, hi);
    if (err < 0)
        return err;
    if (pg_is_leaf(pg)) {
        /* T1: leaves come in key order, doubly linked. */
        if (pg_prev(pg) != c->pgnoPrevLeaf || (c->pgnoPrevLeaf != 0 && c->nextOfPrevLeaf != pgno))
            return JET_errBadPageLink;
        c->pgnoPrevLeaf = pgno;
        c->nextOfPrevLeaf = pg_next(pg);
        c->cnodes += pg_cslot(pg);
        return JET_errSuccess;
    }
    if (pg_prev(pg) != 0 || pg_next(pg) != 0)
        return JET_errBadPageLink;
    for (uint32_t i = 0; i < pg_cslot(pg) && err >= 0; i++) {
        bt_node nlo, nhi;
        if (i > 0)
            bt_pg_node(pg, c->cbPage, i, &nlo);
        if (i + 1 < pg_cslot(pg))
            bt_pg_node(pg, c->cbPage, i + 1, &nhi);
        bf *pbfChild = NULL;
        err = bt_read_child(c->env, pg, i, LATCH_SHARED, &pbfChild);
        if (err < 0)
            break;
        err = check_page(c, pbfChild, depth + 1, i > 0 ? &nlo : lo, i + 1 < pg_cslot(pg) ? &nhi : hi);
        cache_release(pbfChild);
    }
    return err;
}

static int cmp_pgno(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

JET_ERR bt_check(bt_env *env, uint32_t pgnoRoot, uint64_t *pcnodes)
{
    chk c = { .env = env, .cbPage = cache_page_size(env->pc) };
    bf *pbf = NULL;
    JET_ERR err = bt_read_root(env, pgnoRoot, LATCH_SHARED, &pbf);
    if (err < 0)
        return err;
    err = check_page(&c, pbf, 0, NULL, NULL);
    cache_release(pbf);
    if (err >= 0 && c.nextOfPrevLeaf != 0)
        err = JET_errBadPageLink;   /* T1: the last leaf ends the chain */
    if (err >= 0) {
        qsort(c.pgnos, c.cpgno, sizeof *c.pgnos, cmp_pgno);
        for (size_t i = 1; i < c.cpgno; i++)
            if (c.pgnos[i] == c.pgnos[i - 1])
                err = JET_errBadPageLink;   /* a page reachable twice */
    }
    os_free(c.pgnos);
    if (err >= 0 && pcnodes)
        *pcnodes = c.cnodes;
    return err;
}

/* Pages of the subtree under the internal page pg (itself included): a child
 * that is a leaf means they all are (T2: every leaf at one depth), so only
 * the internal pages and one leaf per bottom internal page are read. */
static JET_ERR count_below(const bt_env *env, const uint8_t *pg, int depth, uint64_t *pcpg)
{
    if (depth > BT_MAX_DEPTH)
        return JET_errDatabaseCorrupted;
    *pcpg += 1;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < pg_cslot(pg) && err >= 0; i++) {
        bf *pbfChild = NULL;
        err = bt_read_child(env, pg, i, LATCH_SHARED, &pbfChild);
        if (err < 0)
            break;
        const uint8_t *child = bf_data(pbfChild);
        if (pg_is_leaf(child)) {
            cache_release(pbfChild);
            *pcpg += pg_cslot(pg);
            break;
        }
        err = count_below(env, child, depth + 1, pcpg);
        cache_release(pbfChild);
    }
    return err;
}

JET_ERR bt_count_pages(bt_env *env, uint32_t pgnoRoot, uint64_t *pcpg)
{
    bf *pbf = NULL;
    JET_ERR err = bt_read_root(env, pgnoRoot, LATCH_SHARED, &pbf); /* held: no structure change meanwhile (L4) */
    if (err < 0)
        return err;
    uint64_t n = 0;
    const uint8_t *pg = bf_data(pbf);
    if (pg_is_leaf(pg))
        n = 1;
    else
        err = count_below(env, pg, 0, &n);
    cache_release(pbf);
    if (err >= 0)
        *pcpg = n;
    return err;
}
