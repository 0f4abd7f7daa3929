/*
 * smo.c -- structure modification operations: leaf and internal splits, root
 * push-down, merges of underfull siblings, removal of emptied pages, root
 * collapse.  Each is one atomic change (bt_grp): every page it changes is
 * logged as an after-image at its end, followed by LOG_REC_BT_SMOEND.
 *
 * Owns: latching rules L4..L6 of btree_int.h, invariants T1..T5 across
 * pages, A1 and A4 for tree changes: "acquire everything, then change", so
 * that only log appends can fail once pages have changed, and a failed change
 * is undone in memory by bt_grp.
 * Also owns which key prefix (btree_int.h X1, X2) the leaves it builds get:
 * split halves start with the old page's (sizes as choose_split counted
 * them), then bt_pg_tighten; merges take join_size's choice.  Only when the
 * file allows prefixes (bt_env.fKeyPrefix).
 * Must not touch: page byte layout (page.c), free-list internals (space.c),
 * logging of the change (group.c), record operations on a single leaf that
 * fit (btree.c logs those as records).
 *
 * Shape of a structure change (caller: btree.c):
 *     bt_smo_begin -> bt_smo_descend (root and path latched exclusively)
 *        -> bt_smo_insert | bt_smo_replace | bt_smo_delete
 *     -> bt_smo_end (return unused pages, log or undo, release everything)
 * An insert into a full leaf first rebalances with its siblings (redist.c,
 * which rebuilds the leaf, its siblings, maybe one new page, and the
 * parent, without splitting the parent); when
 * that does not apply, inserts acquire every page they may need first (the
 * leaf's right neighbour, then new pages, L5/L6), then change pages with
 * infallible page.c calls.
 * Deletes plan first: which internal levels may end underfull (their
 * siblings are latched top-down), which leaves the leaf level needs (latched
 * left to right), the space page; then change bottom-up.  Merges above the
 * leaf level and root collapse are best effort: they use only pages already
 * held, and when one is missing the tree stays valid, only less compact.
 * Nothing is released before the end but pages that were not changed (A1).
 */
#include <assert.h>
#include "btree_int.h"

JET_ERR bt_smo_begin(bt_smo *s, const bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot)
{
    memset(s, 0, sizeof *s);
    s->env = env;
    bt_grp_init(&s->g, env);
    s->pgnoSpace = pgnoSpace;
    s->pgnoRoot = pgnoRoot;
    s->cbPage = cache_page_size(env->pc);
    s->scratch = os_malloc(4 * (size_t)s->cbPage);
    if (s->scratch == NULL)
        return JET_errOutOfMemory;
    s->sepbuf[0] = s->scratch + s->cbPage;
    s->sepbuf[1] = s->sepbuf[0] + s->cbPage;
    s->scratch2 = s->sepbuf[1] + s->cbPage;
    return JET_errSuccess;
}

/* ---- latching (every latched page is held by s->g) ------------------------ */

/* Pages reached through a pointer (child, sibling link) are never ones this
 * change holds in a sane tree; one that is would be waited for by its own
 * holder. */
static JET_ERR hold_child(bt_smo *s, const uint8_t *pgParent, uint32_t i, bf **ppbf)
{
    *ppbf = NULL;
    if (bt_grp_find(&s->g, bt_pg_child(pgParent, s->cbPage, i)) != NULL)
        return JET_errBadParentPageLink;
    JET_ERR err = bt_read_child(s->env, pgParent, i, LATCH_EXCLUSIVE, ppbf);
    if (err >= 0)
        err = bt_grp_hold(&s->g, *ppbf);
    if (err < 0)
        *ppbf = NULL;
    return err;
}

/* A leaf of this tree by pgno (a neighbour through a sibling link). */
static JET_ERR hold_leaf(bt_smo *s, uint32_t pgno, bf **ppbf)
{
    *ppbf = NULL;
    if (bt_grp_find(&s->g, pgno) != NULL)
        return JET_errBadPageLink;
    JET_ERR err = bt_read_tree_page(s->env, pgno, s->objid, LATCH_EXCLUSIVE, ppbf);
    if (err >= 0 && !pg_is_leaf(bf_data(*ppbf))) {
        cache_release(*ppbf);
        err = JET_errBadPageLink;
    }
    if (err >= 0)
        err = bt_grp_hold(&s->g, *ppbf);
    if (err < 0)
        *ppbf = NULL;
    return err;
}

/* Let go of a page that was not changed (redist.c uses it too). */
void bt_smo_let_go(bt_smo *s, bf **ppbf)
{
    if (*ppbf != NULL)
        bt_grp_drop(&s->g, *ppbf);
    *ppbf = NULL;
}

static void change(bt_smo *s, bf *pbf)
{
    bt_grp_change(&s->g, pbf);
}

JET_ERR bt_smo_descend(bt_smo *s, const void *key, uint32_t cbKey)
{
    JET_ERR err = bt_read_root(s->env, s->pgnoRoot, LATCH_EXCLUSIVE, &s->path[0]);   /* L4 */
    if (err >= 0)
        err = bt_grp_hold(&s->g, s->path[0]);
    if (err < 0) {
        s->path[0] = NULL;
        return err;
    }
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
        err = hold_child(s, pg, i, &s->path[s->depth]);
        if (err < 0)
            return err;
        s->depth++;
    }
}

static bf *take_fresh(bt_smo *s)
{
    assert(s->ifresh < s->cfresh);
    return s->fresh[s->ifresh++];
}

JET_ERR bt_smo_end(bt_smo *s, JET_ERR err)
{
    if (err >= 0 && s->ifresh < s->cfresh) {
        /* Allocated for splits that did not happen: back to the free list,
         * in the same change (the space page is held: L6). */
        for (int i = s->ifresh; i < s->cfresh; i++)
            bt_space_free_grp(&s->g, s->pbfSpace, s->fresh[i]);
    }
    os_free(s->scratch);
    s->scratch = NULL;
    return bt_grp_end(&s->g, err);
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
 * need: the leaf's right neighbour, then one new page per level that may
 * split (two for the root: push-down and split).  cbBonus: bytes the leaf
 * frees before the insert (replace).  Nothing is changed but the space page
 * and the new pages, which are part of this change. */
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
    if (cpg == 0)
        return JET_errSuccess;
    JET_ERR err = JET_errSuccess;
    uint32_t pgnoNext = pg_next(bf_data(s->path[d]));
    if (pgnoNext != 0) {
        bf *pbfR = NULL;
        err = hold_leaf(s, pgnoNext, &pbfR);   /* L5: rightward from the leaf */
        if (err >= 0 && pg_prev(bf_data(pbfR)) != bf_pgno(s->path[d]))
            err = JET_errBadPageLink;
    }
    if (err >= 0)   /* L6: the space page last, then free pages */
        err = bt_space_alloc_grp(&s->g, s->pgnoSpace, s->objid, (uint32_t)cpg, s->fresh);
    if (err >= 0) {
        s->cfresh = cpg;
        err = bt_space_hold(&s->g, s->pgnoSpace, &s->pbfSpace);   /* already held: no wait */
    }
    return err;
}

/* Bytes node x takes (slot included) on a page whose key prefix is
 * pfx[0..cb): its key after the prefix when it starts with it, else whole
 * (X2). */
static uint32_t enc_size(const bt_node *x, const uint8_t *pfx, uint32_t cb)
{
    if (cb) {
        bt_node p = bt_node_of(pfx, cb, NULL, 0, 0);
        if (x->cbKey < cb || bt_node_lcp(x, &p) < cb)
            return bt_node_size(x->cbKey, x->cbData);
    }
    return bt_node_size(x->cbKey - cb, x->cbData);
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
    /* Sizes as both halves start: with the old page's key prefix (split):
     * each node keeps its encoding, and a full page plus a node still makes
     * two pages that fit (bt_pfx_max is at most cap / 16). */
    uint32_t P = pg_cbpfx(old), total = 0;
    const uint8_t *pfx = pg_pfx(old);
    for (uint32_t j = 0; j < n; j++) {
        bt_node x;
        merged_node(old, s->cbPage, slot, nd, j, &x);
        total += enc_size(&x, pfx, P);
    }
    uint32_t left = 0, best = 1;
    uint64_t bestDiff = UINT64_MAX;
    for (uint32_t m = 1; m < n; m++) {
        bt_node x;
        merged_node(old, s->cbPage, slot, nd, m - 1, &x);
        left += enc_size(&x, pfx, P);
        uint32_t right = total - left;
        if (left + P > cap || right + P > cap)
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
    return bt_node_lcp(l, r) + 1;
}

uint32_t bt_separator_len(const bt_node *l, const bt_node *r)
{
    return separator_len(l, r);
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
    change(s, pbfP);
    change(s, pbfN);
    memcpy(old, pgP, cbPage);
    uint32_t n = pg_cslot(old) + 1, m = choose_split(s, old, slot, pnd);
    uint32_t type = pg_flags(old) & (BTP_LEAF | BTP_INTERNAL), level = pg_level(old);
    int leaf = (type & BTP_LEAF) != 0;
    bt_pg_init(pgP, cbPage, s->objid, type, level);
    bt_pg_init(pgN, cbPage, s->objid, type, level);
    /* Both halves start with the old prefix (choose_split's sizes; without
     * scratch the inserts keep it: X2). */
    bt_pg_set_prefix(pgP, cbPage, pg_pfx(old), pg_cbpfx(old));
    bt_pg_set_prefix(pgN, cbPage, pg_pfx(old), pg_cbpfx(old));
    uint8_t kbuf[BT_KEY_MAX];
    for (uint32_t j = 0; j < n; j++) {
        bt_node x;
        merged_node(old, cbPage, slot, pnd, j, &x);
        uint8_t *pg = j < m ? pgP : pgN;
        /* P5: the first node of an internal page stands for -infinity. */
        uint32_t cbKey = (!leaf && j == m) ? 0 : x.cbKey;
        bt_pg_insert(pg, cbPage, pg_cslot(pg), bt_node_key(&x, kbuf), cbKey, x.data, x.cbData, x.flags, NULL);
    }
    if (s->env->fKeyPrefix) {
        /* then each its own, when smaller (s->scratch holds `old`); but
         * for an append (prepend) split the page of old nodes stays as it
         * was, a few bytes in the log (D1) */
        if (!(s->fAppend && m == n - 1))
            bt_pg_tighten(pgP, cbPage, s->scratch2);
        if (!(s->fPrepend && m == 1 && slot == 0))
            bt_pg_tighten(pgN, cbPage, s->scratch2);
    }
    /* Separator: leaves use the shortest key between the halves; internal
     * pages push up the key of the right half's first node. */
    bt_node l, r;
    merged_node(old, cbPage, slot, pnd, m - 1, &l);
    merged_node(old, cbPage, slot, pnd, m, &r);
    uint32_t cbSep = leaf ? separator_len(&l, &r) : r.cbKey;
    uint8_t *sep = s->sepbuf[s->isep];
    bt_node_copy_key(&r, sep, cbSep);
    le_put32(s->seppgno[s->isep], bf_pgno(pbfN));
    if (leaf) {
        /* T1: P <-> N <-> R */
        uint32_t pgnoR = pg_next(old);
        pg_set_prev(pgP, pg_prev(old));
        pg_set_next(pgP, bf_pgno(pbfN));
        pg_set_prev(pgN, bf_pgno(pbfP));
        pg_set_next(pgN, pgnoR);
        if (pgnoR != 0) {
            bf *pbfR = bt_grp_find(&s->g, pgnoR);
            assert(pbfR != NULL);
            change(s, pbfR);
            pg_set_prev(bf_data(pbfR), bf_pgno(pbfN));
        }
    }
    *pnd = bt_node_of(sep, cbSep, s->seppgno[s->isep], BT_PGNO_SIZE, 0);
    s->isep ^= 1;
}

/* T4: move the root's contents into a new child; the root becomes an
 * internal page with that single child, one level up. */
static void push_down(bt_smo *s)
{
    uint32_t cbPage = s->cbPage;
    bf *pbfC = take_fresh(s);
    uint8_t *root = bf_data(s->path[0]), *c = bf_data(pbfC);
    change(s, s->path[0]);
    change(s, pbfC);
    memcpy(c + PAGE_OFF_OBJID, root + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID);
    pg_set_flags(c, pg_flags(root) & ~BTP_ROOT);
    bt_pg_init(root, cbPage, s->objid, BTP_INTERNAL | BTP_ROOT, pg_level(c) + 1);
    uint8_t pgno[BT_PGNO_SIZE];
    le_put32(pgno, bf_pgno(pbfC));
    bt_pg_insert(root, cbPage, 0, NULL, 0, pgno, BT_PGNO_SIZE, 0, NULL);
    assert(s->depth <= BT_MAX_DEPTH);
    for (int j = s->depth; j >= 2; j--) {
        s->path[j] = s->path[j - 1];
        s->islot[j] = s->islot[j - 1];
    }
    s->path[1] = pbfC;
    s->islot[1] = s->islot[0];
    s->islot[0] = 0;
    s->depth++;
}

/* Insert nd at `slot` of the leaf, splitting upward as needed. */
static void insert_loop(bt_smo *s, bt_node nd, uint32_t slot)
{
    int k = s->depth - 1;
    for (;;) {
        uint8_t *pg = bf_data(s->path[k]);
        int fScratch;
        /* nd's key is contiguous (the caller's, or a separator) */
        assert(nd.cbPfx == 0);
        /* the cost is at most bt_node_size (what prepare_insert counted) */
        if (bt_pg_free(pg, s->cbPage) >= bt_pg_insert_cost(pg, s->cbPage, nd.sfx, nd.cbKey, nd.cbData, &fScratch)) {
            change(s, s->path[k]);
            bt_pg_insert(pg, s->cbPage, slot, nd.sfx, nd.cbKey, nd.data, nd.cbData, nd.flags, s->scratch);
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
    bt_node nd = bt_node_of(key, cbKey, data, cbData, flags);
    int fDone = 0;
    JET_ERR err = bt_redist_insert(s, &nd, &fDone);   /* redist.c: a sibling with room first */
    if (err < 0 || fDone)
        return err;
    err = prepare_insert(s, bt_node_size(cbKey, cbData), cbKey, 0);
    if (err < 0)
        return err;
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
    /* the node frees what it takes on the page (X2) */
    JET_ERR err = prepare_insert(s, bt_node_size(n.cbKey, cbData), n.cbKey, bt_node_size(n.cbSfx, n.cbData));
    if (err < 0)
        return err;
    /* The key must outlive the node: sepbuf[1] is free until the second
     * split, by which time the leaf node has been placed. */
    bt_node_copy_key(&n, s->sepbuf[1], n.cbKey);
    bt_node nd = bt_node_of(s->sepbuf[1], n.cbKey, data, cbData, n.flags);
    s->fAppend = s->fPrepend = 0;
    change(s, s->path[d]);
    bt_pg_delete(leaf, s->cbPage, i);
    insert_loop(s, nd, i);
    return JET_errSuccess;
}

/* ---- delete: merges, empty pages, root collapse ---------------------------- */

/* Leaves a and b joined, without their nodes ia and ib (UINT32_MAX: none;
 * each keeps a node): the bytes the joined page takes with the better key
 * prefix of two, a's own or (fKeyPrefix) the common prefix of the first and
 * last keys, which goes to pfx[0..*pcb) (bt_pfx_max bytes). */
static uint32_t join_size(const bt_smo *s, const uint8_t *a, uint32_t ia, const uint8_t *b, uint32_t ib,
                          uint8_t *pfx, uint32_t *pcb)
{
    uint32_t ca = pg_cslot(a), cbb = pg_cslot(b), cand[2], size[2] = { 0, 0 }, ccand = 1;
    uint8_t key[2][256];
    cand[0] = pg_cbpfx(a);
    memcpy(key[0], pg_pfx(a), cand[0]);
    /* (a leaf without a node left is corrupt (T3): no second candidate) */
    if (s->env->fKeyPrefix && ca > (ia != UINT32_MAX) && cbb > (ib != UINT32_MAX)) {
        bt_node f, l;
        bt_pg_node(a, s->cbPage, ia == 0 ? 1 : 0, &f);
        bt_pg_node(b, s->cbPage, ib == cbb - 1 ? cbb - 2 : cbb - 1, &l);
        cand[1] = bt_node_lcp(&f, &l);
        if (cand[1] > bt_pfx_max(s->cbPage))
            cand[1] = bt_pfx_max(s->cbPage);
        bt_node_copy_key(&f, key[1], cand[1]);
        ccand = 2;
    }
    for (uint32_t c = 0; c < ccand; c++) {
        size[c] = cand[c];
        for (uint32_t j = 0; j < ca + cbb; j++) {
            bt_node x;
            if (j < ca ? j == ia : j - ca == ib)
                continue;
            bt_pg_node(j < ca ? a : b, s->cbPage, j < ca ? j : j - ca, &x);
            size[c] += enc_size(&x, key[c], cand[c]);
        }
    }
    uint32_t c = ccand == 2 && size[1] < size[0] ? 1 : 0;
    memcpy(pfx, key[c], cand[c]);
    *pcb = cand[c];
    return size[c];
}

/* Append every node of page b to page a (sep, if not NULL, becomes the key of
 * b's first node: internal pages, P5).  a must have room: leaves as
 * join_size counts them, with the prefix it chooses. */
static void append_all(bt_smo *s, uint8_t *a, const uint8_t *b, const uint8_t *sep, uint32_t cbSep)
{
    uint32_t cbNeed = bt_pg_used(b, s->cbPage) + cbSep;
    uint8_t kbuf[BT_KEY_MAX];
    if (pg_is_leaf(a)) {
        uint8_t pfx[256];
        uint32_t cb;
        uint32_t cbJoin = join_size(s, a, UINT32_MAX, b, UINT32_MAX, pfx, &cb), cbA = bt_pg_used(a, s->cbPage);
        cbNeed = cbJoin > cbA ? cbJoin - cbA : 0;
        if (cb != pg_cbpfx(a) || memcmp(pfx, pg_pfx(a), cb) != 0)
            bt_pg_reprefix(a, s->cbPage, pfx, cb, s->scratch);
    }
    if (bt_pg_needs_compact(a, s->cbPage, cbNeed))
        bt_pg_compact(a, s->cbPage, s->scratch);
    for (uint32_t j = 0; j < pg_cslot(b); j++) {
        bt_node x;
        bt_pg_node(b, s->cbPage, j, &x);
        const uint8_t *key = (j == 0 && sep != NULL) ? sep : bt_node_key(&x, kbuf);
        uint32_t cbKey = (j == 0 && sep != NULL) ? cbSep : x.cbKey;
        /* without scratch: the prefix chosen above stays (X2) */
        bt_pg_insert(a, s->cbPage, pg_cslot(a), key, cbKey, x.data, x.cbData, x.flags, NULL);
    }
}

/* Node 0 of an internal page lost its predecessor: make its key empty (P5). */
static void clear_first_key(bt_smo *s, uint8_t *pg)
{
    uint8_t pgno[BT_PGNO_SIZE];
    le_put32(pgno, bt_pg_child(pg, s->cbPage, 0));
    bt_pg_delete(pg, s->cbPage, 0);
    bt_pg_insert(pg, s->cbPage, 0, NULL, 0, pgno, BT_PGNO_SIZE, 0, s->scratch);
}

/* A page unlinked by this change goes to the free list, in this change. */
static void free_dead(bt_smo *s, bf *pbf)
{
    bt_space_free_grp(&s->g, s->pbfSpace, pbf);
}

/* No structure change after all: a record operation on the leaf. */
static JET_ERR plain_delete(bt_smo *s)
{
    int d = s->depth - 1;
    bt_node n;
    assert(bt_grp_changed(&s->g) == 0);   /* A3: no record inside a change */
    bt_pg_node(bf_data(s->path[d]), s->cbPage, s->islot[d], &n);
    uint8_t kbuf[BT_KEY_MAX];
    return bt_leaf_op(s->env, s->path[d], LOG_REC_BT_DELETE, s->islot[d], bt_node_key(&n, kbuf), n.cbKey, NULL, 0,
                      0);
}

/* The page may end underfull once one of its entries goes (the largest one,
 * and, should entry 0 go, the key of the new node 0: P5). */
static int may_underfull(const bt_smo *s, const uint8_t *pg)
{
    uint32_t cbNode = 0, cbKey = 0;
    for (uint32_t i = 0; i < pg_cslot(pg); i++) {
        bt_node n;
        bt_pg_node(pg, s->cbPage, i, &n);
        if (bt_node_size(n.cbKey, n.cbData) > cbNode)
            cbNode = bt_node_size(n.cbKey, n.cbData);
        if (n.cbKey > cbKey)
            cbKey = n.cbKey;
    }
    return bt_pg_used(pg, s->cbPage) < cbNode + cbKey + bt_cap(s->cbPage) / 4;
}

/* path[kLose] may lose an entry: mark the internal levels whose page may
 * then be underfull and merge with a sibling (each merge costs its parent an
 * entry), and the root's children when the root may end with one child (it
 * is then pulled up, T4). */
static void plan_levels(bt_smo *s, int kLose)
{
    int k = kLose;
    while (k >= 1 && may_underfull(s, bf_data(s->path[k]))) {
        s->wantSib[k] = 1;
        k--;
    }
    if (k == 0 && pg_cslot(bf_data(s->path[0])) <= 2)
        s->wantSib[1] = 1;
}

/* L5: the siblings of the marked internal path pages, top-down.  The leaf
 * must not be held (a left sibling's subtree reaches it rightward).  Best
 * effort: a sibling that cannot be latched is done without. */
static void latch_siblings(bt_smo *s)
{
    for (int k = 1; k < s->depth - 1; k++) {
        if (!s->wantSib[k])
            continue;
        const uint8_t *pgP = bf_data(s->path[k - 1]);
        uint32_t j = s->islot[k - 1];
        if (j > 0)
            (void)hold_child(s, pgP, j - 1, &s->sib[k][0]);
        if (j + 1 < pg_cslot(pgP))
            (void)hold_child(s, pgP, j + 1, &s->sib[k][1]);
    }
}

/* T4: while the root is internal with one child that this change holds, pull
 * the child up. */
static void collapse_root(bt_smo *s)
{
    uint8_t *root = bf_data(s->path[0]);
    while (!pg_is_leaf(root) && pg_cslot(root) == 1) {
        bf *pbfC = bt_grp_find(&s->g, bt_pg_child(root, s->cbPage, 0));
        if (pbfC == NULL)
            return;   /* best effort: not held, so not latched out of order (L5) */
        const uint8_t *c = bf_data(pbfC);
        if (pg_objid(c) != s->objid || !(pg_flags(c) & (BTP_LEAF | BTP_INTERNAL)) ||
            (pg_flags(c) & BTP_ROOT) || pg_level(c) + 1 != pg_level(root))
            return;
        change(s, s->path[0]);
        memcpy(root + PAGE_OFF_OBJID, c + PAGE_OFF_OBJID, s->cbPage - PAGE_OFF_OBJID);
        pg_set_flags(root, pg_flags(c) | BTP_ROOT);
        pg_set_prev(root, 0);
        pg_set_next(root, 0);
        free_dead(s, pbfC);
    }
}

/* path[k] lost an entry: merge it with a sibling held since the plan while
 * underfull, level by level; then collapse the root.  Infallible. */
static void rebalance_up(bt_smo *s, int k)
{
    while (k > 0 && bt_underfull(bf_data(s->path[k]), s->cbPage)) {
        uint8_t *pg = bf_data(s->path[k]), *pgG = bf_data(s->path[k - 1]);
        uint32_t j = s->islot[k - 1], jB = 0;
        bf *pbfA = NULL, *pbfB = NULL;
        bt_node sep;
        uint8_t sepkey[BT_KEY_MAX];
        /* The right sibling, then the left one. */
        for (int side = 1; side >= 0 && pbfA == NULL; side--) {
            bf *pbfSib = s->sib[k][side];
            if (pbfSib == NULL)
                continue;
            jB = side ? j + 1 : j;
            bt_pg_node(pgG, s->cbPage, jB, &sep);
            if (bt_pg_used(pg, s->cbPage) + bt_pg_used(bf_data(pbfSib), s->cbPage) + sep.cbKey > bt_cap(s->cbPage))
                continue;
            pbfA = side ? s->path[k] : pbfSib;
            pbfB = side ? pbfSib : s->path[k];
        }
        if (pbfA == NULL)
            break;   /* only child, a sibling not held, or none with room */
        change(s, pbfA);
        change(s, s->path[k - 1]);
        /* b's first node (-infinity inside b) takes b's separator (P5). */
        append_all(s, bf_data(pbfA), bf_data(pbfB), bt_node_key(&sep, sepkey), sep.cbKey);
        bt_pg_delete(pgG, s->cbPage, jB);
        free_dead(s, pbfB);
        k--;
    }
    collapse_root(s);
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
    if (!fEmptyTree)
        plan_levels(s, kTop - 1);

    /* L5: internal siblings without the leaf, then the leaves left to right.
     * The leaf cannot change meanwhile: its parent is held (L4). */
    bt_smo_let_go(s, &s->path[d]);
    latch_siblings(s);
    if (pgnoL != 0)
        err = hold_leaf(s, pgnoL, &pbfL);
    if (err >= 0)
        err = hold_child(s, bf_data(s->path[d - 1]), s->islot[d - 1], &s->path[d]);
    if (err < 0)
        return err;
    if (pg_prev(bf_data(s->path[d])) != pgnoL || pg_next(bf_data(s->path[d])) != pgnoR ||
        pg_cslot(bf_data(s->path[d])) != 1 || (pbfL != NULL && pg_next(bf_data(pbfL)) != pgnoLeaf))
        return JET_errBadPageLink;
    if (pgnoR != 0) {
        err = hold_leaf(s, pgnoR, &pbfR);
        if (err >= 0 && pg_prev(bf_data(pbfR)) != pgnoLeaf)
            err = JET_errBadPageLink;
    }
    if (err >= 0)
        err = bt_space_hold(&s->g, s->pgnoSpace, &s->pbfSpace);   /* L6 */
    if (err < 0)
        return err;

    /* Everything is latched: change. */
    if (pbfL != NULL) {
        change(s, pbfL);
        pg_set_next(bf_data(pbfL), pgnoR);
    }
    if (pbfR != NULL) {
        change(s, pbfR);
        pg_set_prev(bf_data(pbfR), pgnoL);
    }
    bf *pbfParent = s->path[kTop - 1];
    uint8_t *parent = bf_data(pbfParent);
    change(s, pbfParent);
    if (fEmptyTree) {
        bt_pg_init(root, s->cbPage, s->objid, BTP_LEAF | BTP_ROOT, 0);
    } else {
        uint32_t j = s->islot[kTop - 1];
        bt_pg_delete(parent, s->cbPage, j);
        if (j == 0)
            clear_first_key(s, parent);
    }
    for (int k = d; k >= kTop; k--)
        free_dead(s, s->path[k]);
    if (!fEmptyTree)
        rebalance_up(s, kTop - 1);
    return JET_errSuccess;
}

/* Delete the leaf's node and merge the leaf with a sibling under the same
 * parent (the right one, else the left one) when both fit one page. */
static JET_ERR merge_leaf(bt_smo *s)
{
    int d = s->depth - 1;
    bf *pbfParent = s->path[d - 1];
    const uint8_t *pgP = bf_data(pbfParent);
    uint32_t j = s->islot[d - 1], i = s->islot[d], jB = 0, cap = bt_cap(s->cbPage);
    bf *pbfA = NULL, *pbfB = NULL, *pbfR = NULL, *pbfSib = NULL;
    uint8_t pfx[256];
    uint32_t cbPfx;
    uint32_t pgnoLeaf = bf_pgno(s->path[d]);
    JET_ERR err;
    plan_levels(s, d - 1);

    /* L5: internal siblings without the leaf, then leaves left to right.  The
     * leaf cannot change meanwhile: its parent is held (L4). */
    bt_smo_let_go(s, &s->path[d]);
    latch_siblings(s);
    err = hold_child(s, pgP, j, &s->path[d]);
    if (err < 0)
        return err;
    if (j + 1 < pg_cslot(pgP)) {
        err = hold_child(s, pgP, j + 1, &pbfSib);   /* rightward */
        if (err < 0)
            return err;
        if (pg_next(bf_data(s->path[d])) != bf_pgno(pbfSib) || pg_prev(bf_data(pbfSib)) != pgnoLeaf)
            return JET_errBadPageLink;
        if (join_size(s, bf_data(s->path[d]), i, bf_data(pbfSib), UINT32_MAX, pfx, &cbPfx) <= cap) {
            pbfA = s->path[d];
            pbfB = pbfSib;
            jB = j + 1;
        } else {
            bt_smo_let_go(s, &pbfSib);
        }
    }
    if (pbfA == NULL && j > 0) {
        /* Left sibling: let go of the leaf first (L2/L5). */
        bt_smo_let_go(s, &s->path[d]);
        err = hold_child(s, pgP, j - 1, &pbfSib);
        if (err >= 0)
            err = hold_child(s, pgP, j, &s->path[d]);
        if (err < 0)
            return err;
        if (pg_next(bf_data(pbfSib)) != pgnoLeaf || pg_prev(bf_data(s->path[d])) != bf_pgno(pbfSib))
            return JET_errBadPageLink;
        if (join_size(s, bf_data(pbfSib), UINT32_MAX, bf_data(s->path[d]), i, pfx, &cbPfx) <= cap) {
            pbfA = pbfSib;
            pbfB = s->path[d];
            jB = j;
        } else {
            bt_smo_let_go(s, &pbfSib);
        }
    }
    if (pbfA == NULL)
        return plain_delete(s);   /* no sibling, or none with room */
    uint32_t pgnoR = pg_next(bf_data(pbfB));
    if (pgnoR != 0) {
        pbfR = bt_grp_find(&s->g, pgnoR);
        if (pbfR == NULL)
            err = hold_leaf(s, pgnoR, &pbfR);   /* rightward from B */
        if (err >= 0 && pg_prev(bf_data(pbfR)) != bf_pgno(pbfB))
            err = JET_errBadPageLink;
        if (err < 0)
            return err;
    }
    err = bt_space_hold(&s->g, s->pgnoSpace, &s->pbfSpace);   /* L6 */
    if (err < 0)
        return err;

    /* Everything is latched: change. */
    uint8_t *leaf = bf_data(s->path[d]), *a = bf_data(pbfA);
    const uint8_t *b = bf_data(pbfB);
    change(s, s->path[d]);
    change(s, pbfA);
    change(s, pbfParent);
    bt_pg_delete(leaf, s->cbPage, i);
    append_all(s, a, b, NULL, 0);
    pg_set_next(a, pgnoR);
    if (pbfR != NULL) {
        change(s, pbfR);
        pg_set_prev(bf_data(pbfR), bf_pgno(pbfA));
    }
    bt_pg_delete(bf_data(pbfParent), s->cbPage, jB);
    free_dead(s, pbfB);
    rebalance_up(s, d - 1);
    return JET_errSuccess;
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
    if (bt_pg_used(leaf, s->cbPage) - bt_node_size(n.cbSfx, n.cbData) >= bt_cap(s->cbPage) / 4)
        return plain_delete(s);
    return merge_leaf(s);
}

/* ---- online defragmentation: merge a leaf with its right sibling ----------- */

/* Copy the first key of the held leaf pg into next (cbPage bytes). */
static void first_key(const bt_smo *s, const uint8_t *pg, uint8_t *next, uint32_t *pcbNext, int *pfEnd)
{
    bt_node x;
    if (pg_cslot(pg) == 0) {
        *pfEnd = 1;
        return;
    }
    bt_pg_node(pg, s->cbPage, 0, &x);
    bt_node_copy_key(&x, next, x.cbKey);
    *pcbNext = x.cbKey;
    *pfEnd = 0;
}

JET_ERR bt_smo_merge_right(bt_smo *s, uint32_t cbFill, int *pfMerged, uint8_t *next, uint32_t *pcbNext, int *pfEnd)
{
    int d = s->depth - 1;
    *pfMerged = 0;
    *pfEnd = 1;
    *pcbNext = 0;
    if (d == 0)
        return JET_errSuccess;   /* a one-page tree */
    bf *pbfParent = s->path[d - 1];
    const uint8_t *pgP = bf_data(pbfParent);
    uint32_t j = s->islot[d - 1], pgnoLeaf = bf_pgno(s->path[d]);
    bf *pbfB = NULL, *pbfR = NULL;
    JET_ERR err;
    if (j + 1 >= pg_cslot(pgP)) {
        /* Last child of its parent: no merge (the separator lives higher);
         * the next step starts at the right neighbour's first key (L5:
         * rightward). */
        uint32_t pgnoR = pg_next(bf_data(s->path[d]));
        if (pgnoR == 0)
            return JET_errSuccess;
        err = hold_leaf(s, pgnoR, &pbfR);
        if (err < 0)
            return err;
        if (pg_prev(bf_data(pbfR)) != pgnoLeaf)
            return JET_errBadPageLink;
        first_key(s, bf_data(pbfR), next, pcbNext, pfEnd);
        return JET_errSuccess;
    }
    plan_levels(s, d - 1);
    /* L5: internal siblings without the leaf, then leaves left to right. */
    bt_smo_let_go(s, &s->path[d]);
    latch_siblings(s);
    err = hold_child(s, pgP, j, &s->path[d]);
    if (err >= 0)
        err = hold_child(s, pgP, j + 1, &pbfB);
    if (err < 0)
        return err;
    const uint8_t *a = bf_data(s->path[d]), *b = bf_data(pbfB);
    if (pg_next(a) != bf_pgno(pbfB) || pg_prev(b) != pgnoLeaf)
        return JET_errBadPageLink;
    uint8_t pfx[256];
    uint32_t cbPfx;
    if (join_size(s, a, UINT32_MAX, b, UINT32_MAX, pfx, &cbPfx) > cbFill) {
        first_key(s, b, next, pcbNext, pfEnd);   /* too full together: go on at B */
        return JET_errSuccess;
    }
    uint32_t pgnoR = pg_next(b);
    if (pgnoR != 0) {
        err = hold_leaf(s, pgnoR, &pbfR);   /* rightward from B */
        if (err >= 0 && pg_prev(bf_data(pbfR)) != bf_pgno(pbfB))
            err = JET_errBadPageLink;
        if (err < 0)
            return err;
    }
    err = bt_space_hold(&s->g, s->pgnoSpace, &s->pbfSpace);   /* L6 */
    if (err < 0)
        return err;

    /* Everything is latched: change (as merge_leaf, without a delete). */
    uint8_t *pa = bf_data(s->path[d]);
    change(s, s->path[d]);
    change(s, pbfParent);
    append_all(s, pa, b, NULL, 0);
    pg_set_next(pa, pgnoR);
    if (pbfR != NULL) {
        change(s, pbfR);
        pg_set_prev(bf_data(pbfR), pgnoLeaf);
    }
    bt_pg_delete(bf_data(pbfParent), s->cbPage, j + 1);
    free_dead(s, pbfB);
    rebalance_up(s, d - 1);
    *pfMerged = 1;
    *pfEnd = 0;
    return JET_errSuccess;
}
