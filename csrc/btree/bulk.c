/*
 * bulk.c -- bottom-up bulk load of an empty tree from nodes given in
 * strictly increasing key order (an index build: bt_bulk_*).
 *
 * Owns: the order in which a bulk load fills pages (leaves left to right to a
 * fill factor, separators appended at the right edge of each internal level)
 * and the grouping of its pages into structure changes.
 * Must not touch: node or page byte layouts (every node goes in through
 * page.c's bt_pg_insert at the end of a page, so page.c's format is the only
 * one written), what keys mean (opaque bytes, btree order), transactions.
 *
 * How it is logged.  Leaves are filled in memory.  Every BULK_BATCH (K3: or fewer) completed
 * leaves become one structure change (group.c, A1-A4): the tree's right edge
 * (the root and the rightmost page of every level) is latched exclusively top
 * down, every new page the batch needs is allocated up front (A4: the exact
 * count is computed by the same arithmetic that then places the separators),
 * the leaves are copied into their pages and linked after the previous last
 * leaf, their separators appended to the level above (new internal pages,
 * root push-down as needed), and the change ends with one image per changed
 * page and its SMOEND.  So:
 *   K1. At every SMOEND the tree is a valid B+tree (T1-T5) holding a prefix
 *       of the loaded nodes, and every page it owns is reachable from its
 *       root: a crash between batches leaves a smaller, valid tree, and
 *       dropping the tree from its root (bt_drop_created) frees every page.
 *       The caller makes the tree unreachable until the load is complete
 *       (isam: the index's catalog row commits with the build).
 *   K2. Each leaf is written (imaged) once when placed, and once more when
 *       the next batch links its successor; internal pages on the right edge
 *       are imaged once per batch: the log carries about one image per page
 *       and no record per node.
 *   K3. A batch latches the root, the right edge, the space page and its
 *       new pages all at once (A4).  With cpgLatchMax set (the caller passes
 *       a share of the cache) a batch is placed early, before it would latch
 *       more than that, so a small cache and a deep tree of long keys do not
 *       run out of buffers (JET_errOutOfBuffers, cache C3); a batch still
 *       takes at least one leaf.
 * The tree must be empty at bt_bulk_begin (a root leaf with no node) and
 * must not be changed by anyone else until bt_bulk_end: the caller's
 * guarantee (nobody else can reach it).
 */
#include <assert.h>
#include "btree_int.h"

#define BULK_BATCH 8    /* completed leaves per structure change (all latched at once: small beside any cache) */

struct bt_bulk {
    bt_env   *env;
    uint32_t  pgnoSpace, pgnoRoot, objid, cbPage, cbFill;
    uint32_t  cpgLatchMax;                /* K3: pages one batch may latch (0: BULK_BATCH leaves) */
    int       h;                          /* level of the root (0: still a leaf, nothing placed) */
    uint32_t  edge[BT_MAX_DEPTH + 2];     /* rightmost page of levels 0..h-1 (edge[0] 0: no leaf yet) */
    uint32_t  used[BT_MAX_DEPTH + 2];     /* bytes used on edge[l] / the root after the last batch (K3's estimate) */
    uint8_t  *buf[BULK_BATCH + 1];        /* leaf images being built; buf[cleaf] is the current one */
    uint8_t  *sep[BULK_BATCH + 1];        /* separator of each leaf (empty for the first leaf) */
    uint32_t  cbSep[BULK_BATCH + 1];
    int       cleaf;                      /* completed leaves waiting for the next batch */
    uint8_t  *last;                       /* last key added (cbPage bytes) */
    uint32_t  cbLast;
    int       fAny;
};

/* The new-tree arithmetic shared by the page count and the placement, so
 * that both take the same decisions: used[l] is the bytes used on the
 * rightmost page of level l, counted with bt_node_size (an upper bound of
 * what page.c stores). */
typedef struct bulk_shape {
    int      h;
    uint32_t used[BT_MAX_DEPTH + 2];
} bulk_shape;

static uint32_t level_limit(const bt_bulk *b, const bulk_shape *sh, int l)
{
    return l == sh->h ? bt_cap(b->cbPage) : b->cbFill;   /* the root fills up before it is pushed down */
}

/* Pages that appending a separator of cbKey bytes to level l takes, with the
 * shape updated as the placement will leave it. */
static JET_ERR shape_add(const bt_bulk *b, bulk_shape *sh, int l, uint32_t cbKey, uint32_t *pcpg)
{
    uint32_t need = bt_node_size(cbKey, BT_PGNO_SIZE);
    for (;;) {
        if (sh->used[l] + need <= level_limit(b, sh, l))
            return sh->used[l] += need, JET_errSuccess;
        if (l == sh->h) {                   /* push-down: the root's nodes move to a new page */
            if (sh->h >= BT_MAX_DEPTH - 1)
                return JET_errDatabaseCorrupted;
            (*pcpg)++;
            sh->h++;
            sh->used[sh->h] = bt_node_size(0, BT_PGNO_SIZE);
        }
        (*pcpg)++;                          /* a new page at level l starts with this child (-infinity) */
        sh->used[l] = bt_node_size(0, BT_PGNO_SIZE);
        l++;
    }
}

/* K3: the pages a batch of the first n completed leaves latches at once:
 * the root, the right edge below it, the space page and the new pages
 * (shape_add's count from the shape the last batch left). */
static uint32_t batch_pages(const bt_bulk *b, int n)
{
    bulk_shape sh;
    memset(&sh, 0, sizeof(sh));
    sh.h = b->h > 0 ? b->h : 1;
    if (b->h > 0)
        memcpy(sh.used, b->used, sizeof(sh.used));
    uint32_t cpg = (uint32_t)n;
    for (int i = 0; i < n; i++)
        if (shape_add(b, &sh, 1, b->cbSep[i], &cpg) < 0)
            return UINT32_MAX;
    return 2 + (uint32_t)b->h + cpg;
}

/* Must the batch be placed before the leaf buf[cleaf], just completed,
 * joins it?  At BULK_BATCH leaves, or when the batch with it would latch
 * more than cpgLatchMax pages (a batch always takes at least one leaf). */
static int batch_full(const bt_bulk *b)
{
    if (b->cleaf == BULK_BATCH)
        return 1;
    return b->cleaf > 0 && b->cpgLatchMax != 0 && batch_pages(b, b->cleaf + 1) > b->cpgLatchMax;
}

JET_ERR bt_bulk_begin(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, uint32_t pctFill, uint32_t cpgLatchMax,
                      bt_bulk **ppb)
{
    bf *pbf = NULL;
    JET_ERR err = bt_read_root(env, pgnoRoot, LATCH_SHARED, &pbf);
    if (err < 0)
        return err;
    const uint8_t *pg = bf_data(pbf);
    uint32_t objid = pg_objid(pg);
    int fEmpty = pg_is_leaf(pg) && pg_cslot(pg) == 0;
    cache_release(pbf);
    if (!fEmpty)
        return JET_errInvalidParameter;
    uint32_t cbPage = cache_page_size(env->pc);
    bt_bulk *b = os_calloc(1, sizeof(*b));
    if (b == NULL)
        return JET_errOutOfMemory;
    b->env = env;
    b->pgnoSpace = pgnoSpace;
    b->pgnoRoot = pgnoRoot;
    b->objid = objid;
    b->cbPage = cbPage;
    b->cpgLatchMax = cpgLatchMax;
    if (pctFill < 20 || pctFill > 100)
        pctFill = 100;
    b->cbFill = (uint32_t)((uint64_t)bt_cap(cbPage) * pctFill / 100);
    for (int i = 0; i <= BULK_BATCH; i++) {
        if ((b->buf[i] = os_calloc(1, cbPage)) == NULL || (b->sep[i] = os_malloc(cbPage)) == NULL)
            return bt_bulk_end(b, JET_errOutOfMemory);
    }
    if ((b->last = os_malloc(cbPage)) == NULL)
        return bt_bulk_end(b, JET_errOutOfMemory);
    bt_pg_init(b->buf[0], cbPage, objid, BTP_LEAF, 0);
    *ppb = b;
    return JET_errSuccess;
}

/* Place the completed leaves buf[0..cleaf) as one structure change. */
static JET_ERR bulk_flush(bt_bulk *b)
{
    const bt_env *env = b->env;
    uint32_t cbPage = b->cbPage;
    bt_grp g;
    bt_grp_init(&g, env);
    bf *pe[BT_MAX_DEPTH + 2] = { 0 }, *pbfRoot = NULL, *pbfSpace = NULL;
    bf *fresh[BT_GRP_MAX];
    /* L4/L5: the root first, then the right edge top down (nobody else can
     * reach this tree: K1's caller guarantee). */
    JET_ERR err = bt_read_root(env, b->pgnoRoot, LATCH_EXCLUSIVE, &pbfRoot);
    if (err >= 0)
        err = bt_grp_hold(&g, pbfRoot);
    bulk_shape sh;
    memset(&sh, 0, sizeof(sh));
    sh.h = b->h;
    if (err >= 0 && b->h > 0)
        pe[b->h] = pbfRoot;
    for (int l = b->h - 1; err >= 0 && l >= 0; l--) {
        if (b->edge[l] == 0)
            continue;
        err = bt_read_tree_page(env, b->edge[l], b->objid, LATCH_EXCLUSIVE, &pe[l]);
        if (err >= 0)
            err = bt_grp_hold(&g, pe[l]);
        if (err >= 0 && (int)pg_level(bf_data(pe[l])) != l)
            err = JET_errDatabaseCorrupted;
    }
    /* The pages this batch needs. */
    uint32_t cpg = (uint32_t)b->cleaf;
    if (err >= 0) {
        if (sh.h == 0)
            sh.h = 1;   /* the empty root leaf becomes an empty internal root */
        else
            for (int l = 1; l <= sh.h; l++)
                sh.used[l] = bt_pg_used(bf_data(pe[l]), cbPage);
        for (int i = 0; err >= 0 && i < b->cleaf; i++)
            err = shape_add(b, &sh, 1, b->cbSep[i], &cpg);
        if (err >= 0 && g.cent + (int)cpg + 1 > BT_GRP_MAX)
            err = JET_errDatabaseCorrupted;   /* deeper than any sane tree */
    }
    if (err >= 0)
        err = bt_space_alloc_grp(&g, b->pgnoSpace, b->objid, cpg, fresh);
    if (err >= 0)
        err = bt_space_hold(&g, b->pgnoSpace, &pbfSpace);
    if (err < 0)
        return bt_grp_end(&g, err);

    /* Infallible from here (A4). */
    uint32_t ifresh = 0;
    memset(&sh, 0, sizeof(sh));
    sh.h = b->h;
    if (b->h == 0) {
        bt_grp_change(&g, pbfRoot);
        bt_pg_init(bf_data(pbfRoot), cbPage, b->objid, BTP_INTERNAL | BTP_ROOT, 1);
        sh.h = 1;
        pe[1] = pbfRoot;
    }
    for (int l = 1; l <= sh.h; l++)
        sh.used[l] = bt_pg_used(bf_data(pe[l]), cbPage);
    for (int i = 0; i < b->cleaf; i++) {
        bf *pbfL = fresh[ifresh++];
        uint8_t *pgL = bf_data(pbfL);
        bt_grp_change(&g, pbfL);
        memcpy(pgL + PAGE_OFF_OBJID, b->buf[i] + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID);
        pg_set_next(pgL, 0);
        pg_set_prev(pgL, pe[0] ? bf_pgno(pe[0]) : 0);
        if (pe[0]) {   /* T1 */
            bt_grp_change(&g, pe[0]);
            pg_set_next(bf_data(pe[0]), bf_pgno(pbfL));
        }
        pe[0] = pbfL;
        /* Its separator up the right edge (the same steps as shape_add). */
        const uint8_t *key = b->sep[i];
        uint32_t cbKey = b->cbSep[i];
        uint8_t child[BT_PGNO_SIZE];
        le_put32(child, bf_pgno(pbfL));
        for (int l = 1;; l++) {
            uint32_t need = bt_node_size(cbKey, BT_PGNO_SIZE);
            if (sh.used[l] + need <= level_limit(b, &sh, l)) {
                uint8_t *pg = bf_data(pe[l]);
                bt_grp_change(&g, pe[l]);
                assert(bt_pg_free(pg, cbPage) >= need);
                bt_pg_insert(pg, cbPage, pg_cslot(pg), key, cbKey, child, BT_PGNO_SIZE, 0, NULL);
                sh.used[l] += need;
                break;
            }
            if (l == sh.h) {   /* T4: push the root's nodes down into a new page */
                bf *pbfD = fresh[ifresh++];
                uint8_t *root = bf_data(pbfRoot), *d = bf_data(pbfD);
                bt_grp_change(&g, pbfD);
                memcpy(d + PAGE_OFF_OBJID, root + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID);
                pg_set_flags(d, pg_flags(root) & ~BTP_ROOT);
                bt_pg_init(root, cbPage, b->objid, BTP_INTERNAL | BTP_ROOT, (uint32_t)l + 1);
                uint8_t pgno[BT_PGNO_SIZE];
                le_put32(pgno, bf_pgno(pbfD));
                bt_pg_insert(root, cbPage, 0, NULL, 0, pgno, BT_PGNO_SIZE, 0, NULL);
                pe[l] = pbfD;
                sh.h++;
                pe[sh.h] = pbfRoot;
                sh.used[sh.h] = bt_node_size(0, BT_PGNO_SIZE);
            }
            /* A new rightmost page of level l: the child as its node 0
             * (-infinity, P5); the separator goes one level up. */
            bf *pbfN = fresh[ifresh++];
            uint8_t *pgN = bf_data(pbfN);
            bt_grp_change(&g, pbfN);
            bt_pg_init(pgN, cbPage, b->objid, BTP_INTERNAL, (uint32_t)l);
            bt_pg_insert(pgN, cbPage, 0, NULL, 0, child, BT_PGNO_SIZE, 0, NULL);
            pe[l] = pbfN;
            sh.used[l] = bt_node_size(0, BT_PGNO_SIZE);
            le_put32(child, bf_pgno(pbfN));
        }
    }
    assert(ifresh == cpg);
    for (; ifresh < cpg; ifresh++)   /* none in a sane run; keep S1 anyway */
        bt_space_free_grp(&g, pbfSpace, fresh[ifresh]);
    uint32_t edge[BT_MAX_DEPTH + 2] = { 0 };
    for (int l = 0; l < sh.h; l++)
        edge[l] = bf_pgno(pe[l]);
    err = bt_grp_end(&g, JET_errSuccess);
    if (err < 0)
        return err;
    b->h = sh.h;
    memcpy(b->edge, edge, sizeof(edge));
    memcpy(b->used, sh.used, sizeof(b->used));
    /* The current leaf (and its separator) moves to the front. */
    uint8_t *t = b->buf[0], *s = b->sep[0];
    b->buf[0] = b->buf[b->cleaf];
    b->sep[0] = b->sep[b->cleaf];
    b->cbSep[0] = b->cbSep[b->cleaf];
    b->buf[b->cleaf] = t;
    b->sep[b->cleaf] = s;
    b->cleaf = 0;
    return JET_errSuccess;
}

JET_ERR bt_bulk_add(bt_bulk *b, const void *key, uint32_t cbKey, const void *data, uint32_t cbData,
                    uint32_t nodeflags)
{
    uint32_t need = bt_node_size(cbKey, cbData);
    if (cbKey + cbData > bt_node_max(b->cbPage))
        return JET_errRecordTooBig;
    if (b->fAny) {
        int c = bt_keycmp(b->last, b->cbLast, key, cbKey);
        if (c == 0)
            return JET_errKeyDuplicate;
        if (c > 0)
            return JET_errInvalidParameter;   /* not in key order */
    }
    uint8_t *cur = b->buf[b->cleaf];
    if (pg_cslot(cur) > 0 && bt_pg_used(cur, b->cbPage) + need > b->cbFill) {
        /* The current leaf is complete; the next starts with this key. */
        if (batch_full(b)) {
            JET_ERR err = bulk_flush(b);
            if (err < 0)
                return err;
        }
        b->cleaf++;
        cur = b->buf[b->cleaf];
        bt_pg_init(cur, b->cbPage, b->objid, BTP_LEAF, 0);
        /* The shortest prefix of key above the last key (as a leaf split). */
        uint32_t c = 0, cb = b->cbLast < cbKey ? b->cbLast : cbKey;
        const uint8_t *k = key;
        while (c < cb && b->last[c] == k[c])
            c++;
        b->cbSep[b->cleaf] = c + 1;
        memcpy(b->sep[b->cleaf], key, c + 1);
    }
    assert(bt_pg_free(cur, b->cbPage) >= need);
    bt_pg_insert(cur, b->cbPage, pg_cslot(cur), key, cbKey, data, cbData, nodeflags, NULL);
    memcpy(b->last, key, cbKey);
    b->cbLast = cbKey;
    b->fAny = 1;
    return JET_errSuccess;
}

/* Nothing placed yet and one leaf: it becomes the root's content. */
static JET_ERR bulk_root_leaf(bt_bulk *b)
{
    bt_grp g;
    bt_grp_init(&g, b->env);
    bf *pbf = NULL;
    JET_ERR err = bt_read_root(b->env, b->pgnoRoot, LATCH_EXCLUSIVE, &pbf);
    if (err >= 0)
        err = bt_grp_hold(&g, pbf);
    if (err >= 0) {
        uint8_t *pg = bf_data(pbf);
        bt_grp_change(&g, pbf);
        memcpy(pg + PAGE_OFF_OBJID, b->buf[0] + PAGE_OFF_OBJID, b->cbPage - PAGE_OFF_OBJID);
        pg_set_flags(pg, BTP_LEAF | BTP_ROOT);
    }
    return bt_grp_end(&g, err);
}

JET_ERR bt_bulk_end(bt_bulk *b, JET_ERR err)
{
    if (b == NULL)
        return err;
    if (err >= 0 && pg_cslot(b->buf[b->cleaf]) > 0) {
        if (b->h == 0 && b->cleaf == 0) {
            err = bulk_root_leaf(b);
        } else {
            if (batch_full(b))
                err = bulk_flush(b);   /* the full batch; the current leaf stays */
            b->cleaf++;   /* the current leaf is complete too */
            if (err >= 0)
                err = bulk_flush(b);
        }
    }
    for (int i = 0; i <= BULK_BATCH; i++) {
        os_free(b->buf[i]);
        os_free(b->sep[i]);
    }
    os_free(b->last);
    os_free(b);
    return err;
}
