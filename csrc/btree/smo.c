/*
 * smo.c -- structure modification operations: leaf and internal splits, root
 * push-down, merges of underfull siblings, removal of emptied pages, root
 * collapse.  Every page they touch is logged as an after-image.
 *
 * Owns: latching rules L4..L6 of btree_int.h, invariants T1..T5 across
 * pages, the order "acquire everything, then change" that keeps a failed
 * structure change from leaving the tree half-changed in memory.
 * Must not touch: page byte layout (page.c), free-list internals (space.c),
 * record operations on a single leaf that fit (btree.c logs those as records).
 *
 * Shape of a structure change (caller: btree.c):
 *     bt_smo_begin -> bt_smo_descend (root and path latched exclusively)
 *        -> bt_smo_insert | bt_smo_replace | bt_smo_delete
 *     -> bt_smo_end (log touched pages, release, return unused pages)
 * Inserts acquire every page they may need first (new pages, the right
 * neighbour), then change pages with infallible page.c calls.  Deletes work
 * one level at a time, bottom-up: acquire that level's pages, change, log,
 * release the level (L5), go up.  Rebalancing above the leaf level is best
 * effort: if a sibling cannot be latched the tree stays valid, only less
 * compact.
 */
#include <assert.h>
#include "btree_int.h"

static JET_ERR first_error(JET_ERR a, JET_ERR b)
{
    return a < 0 ? a : b;
}

JET_ERR bt_smo_begin(bt_smo *s, const bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot)
{
    memset(s, 0, sizeof *s);
    s->env = env;
    s->pgnoSpace = pgnoSpace;
    s->pgnoRoot = pgnoRoot;
    s->cbPage = cache_page_size(env->pc);
    s->scratch = os_malloc(3 * (size_t)s->cbPage);
    if (s->scratch == NULL)
        return JET_errOutOfMemory;
    s->sepbuf[0] = s->scratch + s->cbPage;
    s->sepbuf[1] = s->sepbuf[0] + s->cbPage;
    return JET_errSuccess;
}

JET_ERR bt_smo_descend(bt_smo *s, const void *key, uint32_t cbKey)
{
    JET_ERR err = bt_read_root(s->env, s->pgnoRoot, LATCH_EXCLUSIVE, &s->path[0]);   /* L4 */
    if (err < 0)
        return err;
    s->depth = 1;
    s->objid = pg_objid(bf_data(s->path[0]));
    for (;;) {
        const uint8_t *pg = bf_data(s->path[s->depth - 1]);
        if (pg_is_leaf(pg))
            return JET_errSuccess;
        if (pg_cslot(pg) == 0 || s->depth >= BT_MAX_DEPTH)
            return JET_errDatabaseCorrupted;
        uint32_t i = bt_pg_route(pg, s->cbPage, key, cbKey, 0);
        s->islot[s->depth - 1] = i;
        err = bt_read_child(s->env, pg, i, LATCH_EXCLUSIVE, &s->path[s->depth]);
        if (err < 0)
            return err;
        s->depth++;
    }
}

/* ---- bookkeeping of latched pages ----------------------------------------- */

static int is_fresh(const bt_smo *s, const bf *pbf)
{
    for (int i = 0; i < s->ifresh; i++)
        if (s->fresh[i] == pbf)
            return 1;
    return 0;
}

static bf *take_fresh(bt_smo *s)
{
    assert(s->ifresh < s->cfresh);
    return s->fresh[s->ifresh++];
}

static JET_ERR latch_extra(bt_smo *s, uint32_t pgno, bf **ppbf)
{
    assert(s->cextra < (int)(sizeof s->extra / sizeof s->extra[0]));
    JET_ERR err = bt_read_tree_page(s->env, pgno, s->objid, LATCH_EXCLUSIVE, ppbf);
    if (err >= 0) {
        s->extra[s->cextra] = *ppbf;
        s->etouched[s->cextra++] = 0;
    }
    return err;
}

static JET_ERR latch_extra_child(bt_smo *s, const uint8_t *pgParent, uint32_t i, bf **ppbf)
{
    assert(s->cextra < (int)(sizeof s->extra / sizeof s->extra[0]));
    JET_ERR err = bt_read_child(s->env, pgParent, i, LATCH_EXCLUSIVE, ppbf);
    if (err >= 0) {
        s->extra[s->cextra] = *ppbf;
        s->etouched[s->cextra++] = 0;
    }
    return err;
}

static void set_touched(bt_smo *s, const bf *pbf, int touched)
{
    for (int k = 0; k < s->depth; k++)
        if (s->path[k] == pbf)
            s->touched[k] = (uint8_t)touched;
    for (int i = 0; i < s->cextra; i++)
        if (s->extra[i] == pbf)
            s->etouched[i] = (uint8_t)touched;
}

static bf *find_extra(const bt_smo *s, uint32_t pgno)
{
    for (int i = 0; i < s->cextra; i++)
        if (bf_pgno(s->extra[i]) == pgno)
            return s->extra[i];
    return NULL;
}

/* A page unlinked by this change: freed by finish() after its referrers. */
static void mark_dead(bt_smo *s, bf *pbf)
{
    assert(s->cdead < (int)(sizeof s->dead / sizeof s->dead[0]));
    set_touched(s, pbf, 0);
    s->dead[s->cdead++] = pbf;
}

/* A merge target holds its sibling's keys as well now: log it before the
 * parent stops routing to the sibling. */
static JET_ERR log_gainer(bt_smo *s, bf *pbf)
{
    set_touched(s, pbf, 0);
    return bt_log_image(s->env, pbf);
}

/* End a step of the change: log every touched page, then free the dead
 * pages, then release the extras, the space page and the path pages at
 * levels >= k.  Log order (see "Atomicity" in btree_int.h): the path
 * top-down, so that a parent's new routing is logged before the child that
 * gives up keys; then the neighbours' links; then the frees, after every
 * page that referred to them.  Pages that gain keys (new pages, merge
 * targets) were logged before this.  Fresh pages are logged and released by
 * bt_smo_end. */
static JET_ERR finish(bt_smo *s, int k)
{
    JET_ERR err = JET_errSuccess;
    for (int j = 0; j < s->depth; j++) {
        if (s->path[j] != NULL && s->touched[j] && !is_fresh(s, s->path[j]))
            err = first_error(err, bt_log_image(s->env, s->path[j]));
        s->touched[j] = 0;
    }
    for (int i = 0; i < s->cextra; i++) {
        if (s->etouched[i])
            err = first_error(err, bt_log_image(s->env, s->extra[i]));
        s->etouched[i] = 0;
    }
    if (s->cdead > 0 && s->pbfSpace == NULL)
        err = first_error(err, bt_space_latch(s->env, s->pgnoSpace, &s->pbfSpace));
    for (int i = 0; i < s->cdead && err >= 0; i++)
        err = bt_space_free_latched(s->env, s->pbfSpace, s->dead[i]);
    s->cdead = 0;
    for (int i = 0; i < s->cextra; i++)
        cache_release(s->extra[i]);
    s->cextra = 0;
    if (s->pbfSpace != NULL) {
        cache_release(s->pbfSpace);
        s->pbfSpace = NULL;
    }
    for (int j = s->depth - 1; j >= k; j--) {
        if (s->path[j] != NULL && !is_fresh(s, s->path[j]))
            cache_release(s->path[j]);
        s->path[j] = NULL;
    }
    s->depth = k;
    return err;
}

JET_ERR bt_smo_end(bt_smo *s, JET_ERR err)
{
    JET_ERR errLog = JET_errSuccess;
    /* Log order: new pages first, then the path and neighbours (finish). */
    for (int i = 0; i < s->ifresh; i++)
        errLog = first_error(errLog, bt_log_image(s->env, s->fresh[i]));
    errLog = first_error(errLog, finish(s, 0));
    for (int i = 0; i < s->ifresh; i++)
        cache_release(s->fresh[i]);
    if (s->ifresh < s->cfresh) {
        /* Allocated for splits that did not happen: back to the free list
         * (best effort: a failure leaks the pages, S1). */
        bf *pbfSpace = NULL;
        JET_ERR e = bt_space_latch(s->env, s->pgnoSpace, &pbfSpace);
        for (int i = s->ifresh; i < s->cfresh; i++) {
            if (e >= 0)
                e = bt_space_free_latched(s->env, pbfSpace, s->fresh[i]);
            cache_release(s->fresh[i]);
        }
        if (pbfSpace != NULL)
            cache_release(pbfSpace);
    }
    os_free(s->scratch);
    s->scratch = NULL;
    return err < 0 ? err : errLog;
}

/* ---- insert: splits and root push-down --------------------------------- */

static uint32_t max_key_len(const uint8_t *pg, uint32_t cbPage)
{
    uint32_t cb = 0;
    for (uint32_t i = 0; i < pg_cslot(pg); i++) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        if (n.cbKey > cb)
            cb = n.cbKey;
    }
    return cb;
}

/* Acquire what inserting a node of cbNode bytes (key cbKey) at the leaf may
 * need: one new page per level that may split (two for the root: push-down
 * and split), and the leaf's right neighbour.  cbBonus: bytes the leaf frees
 * before the insert (replace).  Nothing is changed. */
static JET_ERR prepare_insert(bt_smo *s, uint32_t cbNode, uint32_t cbKey, uint32_t cbBonus)
{
    int d = s->depth - 1, cpg = 0;
    uint32_t cbKeyMax = cbKey;
    for (int k = d; k >= 0; k--) {
        const uint8_t *pg = bf_data(s->path[k]);
        if (bt_pg_free(pg, s->cbPage) + (k == d ? cbBonus : 0) >= cbNode)
            break;
        cpg += k == 0 ? 2 : 1;
        uint32_t cb = max_key_len(pg, s->cbPage);
        if (cb > cbKeyMax)
            cbKeyMax = cb;
        /* The separator pushed up is at most as long as the longest key. */
        cbNode = bt_node_size(cbKeyMax, BT_PGNO_SIZE);
    }
    JET_ERR err = JET_errSuccess;
    for (int i = 0; i < cpg && err >= 0; i++) {
        err = bt_space_alloc((bt_env *)s->env, s->pgnoSpace, s->objid, &s->fresh[s->cfresh]);
        if (err >= 0)
            s->cfresh++;
    }
    uint32_t pgnoNext = pg_next(bf_data(s->path[d]));
    if (err >= 0 && cpg > 0 && pgnoNext != 0) {
        bf *pbfR = NULL;
        err = latch_extra(s, pgnoNext, &pbfR);   /* L5: rightward from the leaf */
        if (err >= 0 && pg_prev(bf_data(pbfR)) != bf_pgno(s->path[d]))
            err = JET_errBadPageLink;
    }
    return err;
}

/* Node j of the page image `old` with `nd` inserted at `slot`. */
static void merged_node(const uint8_t *old, uint32_t cbPage, uint32_t slot, const bt_node *nd, uint32_t j,
                        bt_node *out)
{
    if (j < slot)
        bt_pg_node(old, cbPage, j, out);
    else if (j == slot)
        *out = *nd;
    else
        bt_pg_node(old, cbPage, j - 1, out);
}

/* Where to cut old + nd: nodes [0, m) stay, [m, n) move right. */
static uint32_t choose_split(const bt_smo *s, const uint8_t *old, uint32_t slot, const bt_node *nd)
{
    uint32_t n = pg_cslot(old) + 1, cap = bt_cap(s->cbPage);
    if (s->fAppend && slot == n - 1)
        return n - 1;   /* ascending inserts: leave the left page full */
    if (s->fPrepend && slot == (pg_is_leaf(old) ? 0u : 1u))
        return slot + 1; /* descending inserts: leave the right page full */
    uint32_t total = bt_pg_used(old, s->cbPage) + bt_node_size(nd->cbKey, nd->cbData);
    uint32_t left = 0, best = 1;
    uint64_t bestDiff = UINT64_MAX;
    for (uint32_t m = 1; m < n; m++) {
        bt_node x;
        merged_node(old, s->cbPage, slot, nd, m - 1, &x);
        left += bt_node_size(x.cbKey, x.cbData);
        uint32_t right = total - left;
        if (left > cap || right > cap)
            continue;
        uint64_t diff = left > right ? left - right : right - left;
        if (diff < bestDiff) {
            bestDiff = diff;
            best = m;
        }
    }
    return best;
}

/* Length of the shortest prefix of r that is > l (l < r): one byte past
 * their common prefix. */
static uint32_t separator_len(const bt_node *l, const bt_node *r)
{
    uint32_t c = 0, cb = l->cbKey < r->cbKey ? l->cbKey : r->cbKey;
    while (c < cb && l->key[c] == r->key[c])
        c++;
    return c + 1;
}

/* Split path[k] (not the root) around `*pnd` inserted at `slot` into itself
 * (left) and a new page (right).  *pnd becomes the separator node to insert
 * into the parent.  Infallible: the new page and the right neighbour were
 * acquired by prepare_insert. */
static void split(bt_smo *s, int k, uint32_t slot, bt_node *pnd)
{
    uint32_t cbPage = s->cbPage;
    bf *pbfP = s->path[k], *pbfN = take_fresh(s);
    uint8_t *pgP = bf_data(pbfP), *pgN = bf_data(pbfN), *old = s->scratch;
    memcpy(old, pgP, cbPage);
    uint32_t n = pg_cslot(old) + 1, m = choose_split(s, old, slot, pnd);
    uint32_t type = pg_flags(old) & (BTP_LEAF | BTP_INTERNAL), level = pg_level(old);
    int leaf = (type & BTP_LEAF) != 0;
    bt_pg_init(pgP, cbPage, s->objid, type, level);
    bt_pg_init(pgN, cbPage, s->objid, type, level);
    for (uint32_t j = 0; j < n; j++) {
        bt_node x;
        merged_node(old, cbPage, slot, pnd, j, &x);
        uint8_t *pg = j < m ? pgP : pgN;
        /* P5: the first node of an internal page stands for -infinity. */
        uint32_t cbKey = (!leaf && j == m) ? 0 : x.cbKey;
        bt_pg_insert(pg, cbPage, pg_cslot(pg), x.key, cbKey, x.data, x.cbData, x.flags, NULL);
    }
    /* Separator: leaves use the shortest key between the halves; internal
     * pages push up the key of the right half's first node. */
    bt_node l, r;
    merged_node(old, cbPage, slot, pnd, m - 1, &l);
    merged_node(old, cbPage, slot, pnd, m, &r);
    uint32_t cbSep = leaf ? separator_len(&l, &r) : r.cbKey;
    uint8_t *sep = s->sepbuf[s->isep];
    memcpy(sep, r.key, cbSep);
    bt_put32(s->seppgno[s->isep], bf_pgno(pbfN));
    if (leaf) {
        /* T1: P <-> N <-> R */
        uint32_t pgnoR = pg_next(old);
        pg_set_prev(pgP, pg_prev(old));
        pg_set_next(pgP, bf_pgno(pbfN));
        pg_set_prev(pgN, bf_pgno(pbfP));
        pg_set_next(pgN, pgnoR);
        if (pgnoR != 0) {
            bf *pbfR = find_extra(s, pgnoR);
            assert(pbfR != NULL);
            pg_set_prev(bf_data(pbfR), bf_pgno(pbfN));
            set_touched(s, pbfR, 1);
        }
    }
    s->touched[k] = 1;
    pnd->key = sep;
    pnd->cbKey = cbSep;
    pnd->data = s->seppgno[s->isep];
    pnd->cbData = BT_PGNO_SIZE;
    pnd->flags = 0;
    s->isep ^= 1;
}

/* T4: move the root's contents into a new child; the root becomes an
 * internal page with that single child, one level up. */
static void push_down(bt_smo *s)
{
    uint32_t cbPage = s->cbPage;
    bf *pbfC = take_fresh(s);
    uint8_t *root = bf_data(s->path[0]), *c = bf_data(pbfC);
    memcpy(c + PAGE_OFF_OBJID, root + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID);
    pg_set_flags(c, pg_flags(root) & ~BTP_ROOT);
    bt_pg_init(root, cbPage, s->objid, BTP_INTERNAL | BTP_ROOT, pg_level(c) + 1);
    uint8_t pgno[BT_PGNO_SIZE];
    bt_put32(pgno, bf_pgno(pbfC));
    bt_pg_insert(root, cbPage, 0, NULL, 0, pgno, BT_PGNO_SIZE, 0, NULL);
    assert(s->depth <= BT_MAX_DEPTH);
    for (int j = s->depth; j >= 2; j--) {
        s->path[j] = s->path[j - 1];
        s->islot[j] = s->islot[j - 1];
        s->touched[j] = s->touched[j - 1];
    }
    s->path[1] = pbfC;
    s->islot[1] = s->islot[0];
    s->touched[1] = 1;
    s->islot[0] = 0;
    s->touched[0] = 1;
    s->depth++;
}

/* Insert nd at `slot` of the leaf, splitting upward as needed. */
static void insert_loop(bt_smo *s, bt_node nd, uint32_t slot)
{
    int k = s->depth - 1;
    for (;;) {
        uint8_t *pg = bf_data(s->path[k]);
        if (bt_pg_free(pg, s->cbPage) >= bt_node_size(nd.cbKey, nd.cbData)) {
            bt_pg_insert(pg, s->cbPage, slot, nd.key, nd.cbKey, nd.data, nd.cbData, nd.flags, s->scratch);
            s->touched[k] = 1;
            return;
        }
        if (k == 0) {
            push_down(s);
            k = 1;
            continue;
        }
        uint32_t slotParent = s->islot[k - 1] + 1;
        split(s, k, slot, &nd);
        slot = slotParent;
        k--;
    }
}

JET_ERR bt_smo_insert(bt_smo *s, const void *key, uint32_t cbKey, const void *data, uint32_t cbData,
                      uint32_t flags)
{
    int d = s->depth - 1;
    const uint8_t *leaf = bf_data(s->path[d]);
    uint32_t slot = s->islot[d];
    s->fAppend = slot == pg_cslot(leaf) && pg_next(leaf) == 0;
    s->fPrepend = slot == 0 && pg_prev(leaf) == 0 && pg_cslot(leaf) > 0;
    JET_ERR err = prepare_insert(s, bt_node_size(cbKey, cbData), cbKey, 0);
    if (err < 0)
        return err;
    bt_node nd = { key, cbKey, data, cbData, flags };
    insert_loop(s, nd, slot);
    return JET_errSuccess;
}

JET_ERR bt_smo_replace(bt_smo *s, const void *data, uint32_t cbData)
{
    int d = s->depth - 1;
    uint8_t *leaf = bf_data(s->path[d]);
    uint32_t i = s->islot[d];
    bt_node n;
    bt_pg_node(leaf, s->cbPage, i, &n);
    JET_ERR err = prepare_insert(s, bt_node_size(n.cbKey, cbData), n.cbKey, bt_node_size(n.cbKey, n.cbData));
    if (err < 0)
        return err;
    /* The key must outlive the node: sepbuf[1] is free until the second
     * split, by which time the leaf node has been placed. */
    memcpy(s->sepbuf[1], n.key, n.cbKey);
    bt_node nd = { s->sepbuf[1], n.cbKey, data, cbData, n.flags };
    s->fAppend = s->fPrepend = 0;
    bt_pg_delete(leaf, s->cbPage, i);
    s->touched[d] = 1;
    insert_loop(s, nd, i);
    return JET_errSuccess;
}

/* ---- delete: merges, empty pages, root collapse ---------------------------- */

/* Append every node of page b to page a (sep, if not NULL, becomes the key of
 * b's first node: internal pages, P5).  a must have room. */
static void append_all(bt_smo *s, uint8_t *a, const uint8_t *b, const uint8_t *sep, uint32_t cbSep)
{
    uint32_t cbNeed = bt_pg_used(b, s->cbPage) + cbSep;
    if (bt_pg_needs_compact(a, s->cbPage, cbNeed))
        bt_pg_compact(a, s->cbPage, s->scratch);
    for (uint32_t j = 0; j < pg_cslot(b); j++) {
        bt_node x;
        bt_pg_node(b, s->cbPage, j, &x);
        const uint8_t *key = (j == 0 && sep != NULL) ? sep : x.key;
        uint32_t cbKey = (j == 0 && sep != NULL) ? cbSep : x.cbKey;
        bt_pg_insert(a, s->cbPage, pg_cslot(a), key, cbKey, x.data, x.cbData, x.flags, s->scratch);
    }
}

/* Node 0 of an internal page lost its predecessor: make its key empty (P5). */
static void clear_first_key(bt_smo *s, uint8_t *pg)
{
    uint8_t pgno[BT_PGNO_SIZE];
    bt_put32(pgno, bt_pg_child(pg, s->cbPage, 0));
    bt_pg_delete(pg, s->cbPage, 0);
    bt_pg_insert(pg, s->cbPage, 0, NULL, 0, pgno, BT_PGNO_SIZE, 0, s->scratch);
}

static JET_ERR plain_delete(bt_smo *s)
{
    int d = s->depth - 1;
    bt_node n;
    bt_pg_node(bf_data(s->path[d]), s->cbPage, s->islot[d], &n);
    return bt_leaf_op(s->env, s->path[d], LOG_REC_BT_DELETE, s->islot[d], n.key, n.cbKey, NULL, 0, 0);
}

/* Give up an optional step: release what it latched, keep the tree as is. */
static JET_ERR give_up(bt_smo *s)
{
    return finish(s, s->depth);
}

/* Let go of the extra latched last (unchanged). */
static void drop_last_extra(bt_smo *s)
{
    assert(s->cextra > 0 && !s->etouched[s->cextra - 1]);
    cache_release(s->extra[--s->cextra]);
}

/* T4: while the root is internal with one child, pull the child up.  Only
 * the root is held on entry. */
static JET_ERR collapse_root(bt_smo *s)
{
    JET_ERR err = JET_errSuccess;
    uint8_t *root = bf_data(s->path[0]);
    while (err >= 0 && !pg_is_leaf(root) && pg_cslot(root) == 1) {
        bf *pbfC = NULL;
        if (latch_extra_child(s, root, 0, &pbfC) < 0 || bt_space_latch(s->env, s->pgnoSpace, &s->pbfSpace) < 0)
            return give_up(s);   /* best effort */
        const uint8_t *c = bf_data(pbfC);
        memcpy(root + PAGE_OFF_OBJID, c + PAGE_OFF_OBJID, s->cbPage - PAGE_OFF_OBJID);
        pg_set_flags(root, pg_flags(c) | BTP_ROOT);
        pg_set_prev(root, 0);
        pg_set_next(root, 0);
        s->touched[0] = 1;
        mark_dead(s, pbfC);
        err = finish(s, 1);
    }
    return err;
}

/* path[k] lost an entry: merge it with a sibling while underfull, level by
 * level; collapse the root at the top.  Nothing below level k is held. */
static JET_ERR rebalance_up(bt_smo *s, int k)
{
    JET_ERR err = JET_errSuccess;
    while (err >= 0 && k > 0) {
        uint8_t *pg = bf_data(s->path[k]), *pgG = bf_data(s->path[k - 1]);
        uint32_t j = s->islot[k - 1], jB;
        bf *pbfA, *pbfB, *pbfSib = NULL;
        if (!bt_underfull(pg, s->cbPage))
            return JET_errSuccess;
        /* Internal level: readers never move sideways here, so the left
         * sibling may be latched while holding path[k] (L5).  Try the right
         * sibling, then the left one. */
        pbfA = pbfB = NULL;
        bt_node sep;
        for (int side = 0; side < 2 && pbfA == NULL; side++) {
            if (side == 0 ? j + 1 >= pg_cslot(pgG) : j == 0)
                continue;
            jB = side == 0 ? j + 1 : j;
            if (latch_extra_child(s, pgG, side == 0 ? j + 1 : j - 1, &pbfSib) < 0)
                return give_up(s);
            bt_pg_node(pgG, s->cbPage, jB, &sep);
            if (bt_pg_used(pg, s->cbPage) + bt_pg_used(bf_data(pbfSib), s->cbPage) + sep.cbKey >
                bt_cap(s->cbPage)) {
                drop_last_extra(s);
                continue;
            }
            pbfA = side == 0 ? s->path[k] : pbfSib;
            pbfB = side == 0 ? pbfSib : s->path[k];
        }
        if (pbfA == NULL || bt_space_latch(s->env, s->pgnoSpace, &s->pbfSpace) < 0)
            return give_up(s);   /* only child, or no sibling with room */
        uint8_t *a = bf_data(pbfA);
        const uint8_t *b = bf_data(pbfB);
        /* b's first node (-infinity inside b) takes b's separator (P5). */
        append_all(s, a, b, sep.key, sep.cbKey);
        bt_pg_delete(pgG, s->cbPage, jB);
        s->touched[k - 1] = 1;
        mark_dead(s, pbfB);
        err = log_gainer(s, pbfA);
        err = first_error(err, finish(s, k));
        k--;
    }
    if (err >= 0 && k == 0)
        err = collapse_root(s);
    return err;
}

/* The leaf's only node goes: free the leaf and every ancestor left empty,
 * unlink it from its neighbours (T1, T3). */
static JET_ERR remove_empty_leaf(bt_smo *s)
{
    int d = s->depth - 1, kTop = d;
    while (kTop >= 2 && pg_cslot(bf_data(s->path[kTop - 1])) == 1)
        kTop--;
    uint8_t *root = bf_data(s->path[0]);
    int fEmptyTree = kTop == 1 && pg_cslot(root) == 1;
    const uint8_t *leaf = bf_data(s->path[d]);
    uint32_t pgnoLeaf = bf_pgno(s->path[d]), pgnoL = pg_prev(leaf), pgnoR = pg_next(leaf);
    bf *pbfL = NULL, *pbfR = NULL;
    JET_ERR err = JET_errSuccess;
    if (fEmptyTree && (pgnoL != 0 || pgnoR != 0))
        return JET_errBadPageLink;
    if (pgnoL != 0) {
        /* L2/L5: never wait for the left neighbour while holding the leaf.
         * The leaf cannot change meanwhile: its parent is held (L4). */
        cache_release(s->path[d]);
        s->path[d] = NULL;
        err = latch_extra(s, pgnoL, &pbfL);
        if (err >= 0)
            err = bt_read_child(s->env, bf_data(s->path[d - 1]), s->islot[d - 1], LATCH_EXCLUSIVE, &s->path[d]);
        if (err < 0)
            return err;
        if (pg_next(bf_data(pbfL)) != pgnoLeaf || pg_prev(bf_data(s->path[d])) != pgnoL)
            return JET_errBadPageLink;
    }
    if (pgnoR != 0) {
        err = latch_extra(s, pgnoR, &pbfR);
        if (err >= 0 && pg_prev(bf_data(pbfR)) != pgnoLeaf)
            err = JET_errBadPageLink;
    }
    if (err >= 0)
        err = bt_space_latch(s->env, s->pgnoSpace, &s->pbfSpace);
    if (err < 0)
        return err;

    /* Everything is latched: change. */
    if (pbfL != NULL) {
        pg_set_next(bf_data(pbfL), pgnoR);
        set_touched(s, pbfL, 1);
    }
    if (pbfR != NULL) {
        pg_set_prev(bf_data(pbfR), pgnoL);
        set_touched(s, pbfR, 1);
    }
    for (int k = d; k >= kTop; k--)
        mark_dead(s, s->path[k]);
    uint8_t *parent = bf_data(s->path[kTop - 1]);
    if (fEmptyTree) {
        bt_pg_init(root, s->cbPage, s->objid, BTP_LEAF | BTP_ROOT, 0);
    } else {
        uint32_t j = s->islot[kTop - 1];
        bt_pg_delete(parent, s->cbPage, j);
        if (j == 0)
            clear_first_key(s, parent);
    }
    s->touched[kTop - 1] = 1;
    err = finish(s, kTop);
    if (err >= 0 && !fEmptyTree)
        err = rebalance_up(s, kTop - 1);
    return err;
}

/* Delete the leaf's node and merge the leaf with a sibling under the same
 * parent (the right one, else the left one) when both fit one page. */
static JET_ERR merge_leaf(bt_smo *s)
{
    int d = s->depth - 1;
    const uint8_t *pgP = bf_data(s->path[d - 1]);
    uint32_t j = s->islot[d - 1], i = s->islot[d], jB = 0, cap = bt_cap(s->cbPage);
    bf *pbfA = NULL, *pbfB = NULL, *pbfR = NULL, *pbfSib = NULL;
    bt_node n;
    bt_pg_node(bf_data(s->path[d]), s->cbPage, i, &n);
    uint32_t cbLeaf = bt_pg_used(bf_data(s->path[d]), s->cbPage) - bt_node_size(n.cbKey, n.cbData);
    JET_ERR err;
    if (j + 1 < pg_cslot(pgP)) {
        err = latch_extra_child(s, pgP, j + 1, &pbfSib);   /* rightward (L5) */
        if (err < 0)
            return err;
        if (cbLeaf + bt_pg_used(bf_data(pbfSib), s->cbPage) <= cap) {
            pbfA = s->path[d];
            pbfB = pbfSib;
            jB = j + 1;
        } else {
            drop_last_extra(s);
        }
    }
    if (pbfA == NULL && j > 0) {
        /* Left sibling: let go of the leaf first (L2/L5); its parent is held
         * so it cannot change (L4). */
        cache_release(s->path[d]);
        s->path[d] = NULL;
        err = latch_extra_child(s, pgP, j - 1, &pbfSib);
        if (err >= 0)
            err = bt_read_child(s->env, pgP, j, LATCH_EXCLUSIVE, &s->path[d]);
        if (err < 0)
            return err;
        if (pg_next(bf_data(pbfSib)) != bf_pgno(s->path[d]) || pg_prev(bf_data(s->path[d])) != bf_pgno(pbfSib))
            return JET_errBadPageLink;
        if (cbLeaf + bt_pg_used(bf_data(pbfSib), s->cbPage) <= cap) {
            pbfA = pbfSib;
            pbfB = s->path[d];
            jB = j;
        }
    }
    if (pbfA == NULL)
        return plain_delete(s);   /* no sibling, or none with room */
    uint8_t *leaf = bf_data(s->path[d]), *a = bf_data(pbfA);
    const uint8_t *b = bf_data(pbfB);
    uint32_t pgnoR = pg_next(b);
    if (pgnoR != 0) {
        err = latch_extra(s, pgnoR, &pbfR);
        if (err >= 0 && pg_prev(bf_data(pbfR)) != bf_pgno(pbfB))
            err = JET_errBadPageLink;
        if (err < 0)
            return err;
    }
    err = bt_space_latch(s->env, s->pgnoSpace, &s->pbfSpace);
    if (err < 0)
        return err;

    /* Everything is latched: change. */
    bt_pg_delete(leaf, s->cbPage, i);
    append_all(s, a, b, NULL, 0);
    pg_set_next(a, pgnoR);
    if (pbfR != NULL) {
        pg_set_prev(bf_data(pbfR), bf_pgno(pbfA));
        set_touched(s, pbfR, 1);
    }
    bt_pg_delete(bf_data(s->path[d - 1]), s->cbPage, jB);
    s->touched[d - 1] = 1;
    mark_dead(s, pbfB);
    err = log_gainer(s, pbfA);
    err = first_error(err, finish(s, d));
    if (err >= 0)
        err = rebalance_up(s, d - 1);
    return err;
}

JET_ERR bt_smo_delete(bt_smo *s)
{
    int d = s->depth - 1;
    const uint8_t *leaf = bf_data(s->path[d]);
    if (d == 0)
        return plain_delete(s);   /* the root may be empty (T3) */
    if (pg_cslot(leaf) == 1)
        return remove_empty_leaf(s);
    bt_node n;
    bt_pg_node(leaf, s->cbPage, s->islot[d], &n);
    if (bt_pg_used(leaf, s->cbPage) - bt_node_size(n.cbKey, n.cbData) >= bt_cap(s->cbPage) / 4)
        return plain_delete(s);
    return merge_leaf(s);
}
