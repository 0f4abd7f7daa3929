/*
 * page.c -- slotted tree pages: node search, insert, delete, replace,
 * compaction, layout validation.  Pure functions on page bytes, shared by the
 * do path and redo so that redo reproduces a page byte for byte.
 *
 * Owns: invariants P1..P4 and X1, X2 of btree_int.h (the page layout, the
 * page key prefix).
 * Must not touch: latches, the cache, the log (callers latch, log and stamp),
 * tree shape (siblings, parents: btree.c / smo.c).
 */
#include "btree_int.h"

int bt_keycmp(const void *a, uint32_t cba, const void *b, uint32_t cbb)
{
    uint32_t cb = cba < cbb ? cba : cbb;
    int c = cb ? memcmp(a, b, cb) : 0;
    if (c != 0)
        return c;
    return cba < cbb ? -1 : cba > cbb ? 1 : 0;
}

static inline uint32_t slot_off(uint32_t cbPage, uint32_t i)
{
    return cbPage - BT_SLOT * (i + 1);
}

static inline uint32_t node_at(const uint8_t *pg, uint32_t cbPage, uint32_t i)
{
    return le_get16(pg + slot_off(cbPage, i));
}

static inline uint32_t node_bytes(const uint8_t *pg, uint32_t off)
{
    return BT_NODE_HDR + (le_get16(pg + off) & BT_KEY_LEN) + le_get16(pg + off + 2);
}

const char *bt_pg_problem(const uint8_t *pg, uint32_t cbPage, int32_t *piNode)
{
    uint32_t flags = pg_flags(pg);
    uint32_t cslot = pg_cslot(pg), ibHeap = pg_ibheap(pg), cbFrag = pg_cbfrag(pg);
    *piNode = -1;
    if (((flags & BTP_LEAF) != 0) == ((flags & BTP_INTERNAL) != 0))
        return "neither a leaf nor an internal page (or both)";
    if (((flags & BTP_LEAF) != 0) != (pg_level(pg) == 0))
        return "level disagrees with the leaf flag";
    /* X1 */
    if (pg_cbpfx(pg) > bt_pfx_max(cbPage))
        return "key prefix longer than a page allows (X1)";
    /* P3 */
    if (ibHeap < pg_heap_start(pg) || (uint64_t)ibHeap + (uint64_t)BT_SLOT * cslot > cbPage)
        return "heap and slot array overlap or leave the page (P3)";
    /* P2: every node inside the heap, no two nodes share a byte (each
     * node's bytes are marked in a bitmap of the heap, 64 at a time), sizes
     * add up.  Without the overlap test two slots naming one node pass (the
     * sizes still add up) and deleting one frees the other's bytes. */
    if (cbPage > BT_PAGE_MAX)
        return "page size too large";
    uint64_t rgwUsed[BT_PAGE_MAX / 64];
    memset(rgwUsed, 0, ((ibHeap + 63) / 64) * sizeof(uint64_t));
    uint64_t sum = 0;
    for (uint32_t i = 0; i < cslot; i++) {
        uint32_t off = node_at(pg, cbPage, i);
        *piNode = (int32_t)i;
        if (off < pg_heap_start(pg) || off + BT_NODE_HDR > ibHeap)
            return "node header outside the heap (P2)";
        uint32_t cb = node_bytes(pg, off);
        if (off + cb > ibHeap)
            return "node runs past the heap (P2)";
        if ((flags & BTP_INTERNAL) && le_get16(pg + off + 2) != BT_PGNO_SIZE)
            return "internal node without a page number";
        for (uint32_t ib = off, ibEnd = off + cb; ib < ibEnd;) {
            uint32_t bit = ib % 64, c = 64 - bit < ibEnd - ib ? 64 - bit : ibEnd - ib;
            uint64_t mask = (c == 64 ? ~(uint64_t)0 : (((uint64_t)1 << c) - 1)) << bit;
            if (rgwUsed[ib / 64] & mask)
                return "node overlaps another node (P2)";
            rgwUsed[ib / 64] |= mask;
            ib += c;
        }
        sum += cb;
    }
    *piNode = -1;
    if (sum + cbFrag != ibHeap - pg_heap_start(pg))
        return "node sizes and free fragments do not add up to the heap (P2)";
    return NULL;
}

int bt_pg_check(const uint8_t *pg, uint32_t cbPage)
{
    int32_t iNode;
    return bt_pg_problem(pg, cbPage, &iNode) == NULL ? 0 : -1;
}

void bt_pg_node(const uint8_t *pg, uint32_t cbPage, uint32_t i, bt_node *pn)
{
    uint32_t off = node_at(pg, cbPage, i), w = le_get16(pg + off);
    pn->cbSfx = w & BT_KEY_LEN;
    pn->cbPfx = (w & BT_KEY_WHOLE) ? 0 : pg_cbpfx(pg);
    pn->pfx = pg_pfx(pg);
    pn->sfx = pg + off + BT_NODE_HDR;
    pn->cbKey = pn->cbPfx + pn->cbSfx;
    pn->cbData = le_get16(pg + off + 2);
    pn->flags = le_get16(pg + off + 4);
    pn->data = pn->sfx + pn->cbSfx;
}

uint32_t bt_pg_child(const uint8_t *pg, uint32_t cbPage, uint32_t i)
{
    bt_node n;
    bt_pg_node(pg, cbPage, i, &n);
    return le_get32(n.data);
}

/* The prefix pfx[0..cbPfx) against key: < 0, > 0, or 0 when key starts with
 * it (a key shorter than the prefix that begins it sorts first: > 0). */
static int pfx_cmp(const uint8_t *pfx, uint32_t cbPfx, const uint8_t *key, uint32_t cbKey)
{
    uint32_t cb = cbPfx < cbKey ? cbPfx : cbKey;
    int c = cb ? memcmp(pfx, key, cb) : 0;
    if (c != 0)
        return c;
    return cbKey < cbPfx ? 1 : 0;
}

int bt_node_cmp(const bt_node *n, const void *key, uint32_t cbKey)
{
    const uint8_t *k = key;
    if (n->cbPfx) {
        int c = pfx_cmp(n->pfx, n->cbPfx, k, cbKey);
        if (c != 0)
            return c;
        k += n->cbPfx;
        cbKey -= n->cbPfx;
    }
    return bt_keycmp(n->sfx, n->cbSfx, k, cbKey);
}

static inline uint8_t node_byte(const bt_node *n, uint32_t i)
{
    return i < n->cbPfx ? n->pfx[i] : n->sfx[i - n->cbPfx];
}

uint32_t bt_node_lcp(const bt_node *a, const bt_node *b)
{
    uint32_t c = 0, cb = a->cbKey < b->cbKey ? a->cbKey : b->cbKey;
    while (c < cb && node_byte(a, c) == node_byte(b, c))
        c++;
    return c;
}

int bt_node_cmp2(const bt_node *a, const bt_node *b)
{
    uint32_t c = bt_node_lcp(a, b);
    if (c < a->cbKey && c < b->cbKey)
        return node_byte(a, c) < node_byte(b, c) ? -1 : 1;
    return a->cbKey < b->cbKey ? -1 : a->cbKey > b->cbKey ? 1 : 0;
}

/* Node i against key; pc: pfx_cmp of the page prefix against key, computed
 * once per search (nodes after the prefix compare by suffix only). */
static int cmp_slot(const uint8_t *pg, uint32_t cbPage, uint32_t i, const uint8_t *key, uint32_t cbKey, int pc)
{
    uint32_t off = node_at(pg, cbPage, i), w = le_get16(pg + off);
    const uint8_t *sfx = pg + off + BT_NODE_HDR;
    if ((w & BT_KEY_WHOLE) || pg_cbpfx(pg) == 0)
        return bt_keycmp(sfx, w & BT_KEY_LEN, key, cbKey);
    if (pc != 0)
        return pc;
    return bt_keycmp(sfx, w & BT_KEY_LEN, key + pg_cbpfx(pg), cbKey - pg_cbpfx(pg));
}

static int page_pfx_cmp(const uint8_t *pg, const void *key, uint32_t cbKey)
{
    return pfx_cmp(pg_pfx(pg), pg_cbpfx(pg), key, cbKey);
}

uint32_t bt_pg_search(const uint8_t *pg, uint32_t cbPage, const void *key, uint32_t cbKey, int *pfound)
{
    uint32_t lo = 0, hi = pg_cslot(pg);
    int pc = page_pfx_cmp(pg, key, cbKey);
    *pfound = 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp_slot(pg, cbPage, mid, key, cbKey, pc);
        if (c == 0) {
            *pfound = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t bt_pg_route(const uint8_t *pg, uint32_t cbPage, const void *key, uint32_t cbKey, int strict)
{
    /* First i >= 1 whose separator is > key (>= key when strict); answer i - 1. */
    uint32_t lo = 1, hi = pg_cslot(pg);
    if (hi == 0)
        return 0;
    int pc = page_pfx_cmp(pg, key, cbKey);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp_slot(pg, cbPage, mid, key, cbKey, pc);
        if (c < 0 || (c == 0 && !strict))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

uint32_t bt_pg_used(const uint8_t *pg, uint32_t cbPage)
{
    (void)cbPage;
    return pg_ibheap(pg) - BTP_HEAP_START - pg_cbfrag(pg) + BT_SLOT * pg_cslot(pg);   /* prefix included */
}

uint32_t bt_pg_free(const uint8_t *pg, uint32_t cbPage)
{
    return bt_cap(cbPage) - bt_pg_used(pg, cbPage);
}

static uint32_t pg_gap(const uint8_t *pg, uint32_t cbPage)
{
    return cbPage - BT_SLOT * pg_cslot(pg) - pg_ibheap(pg);
}

int bt_pg_needs_compact(const uint8_t *pg, uint32_t cbPage, uint32_t cbNodeWithSlot)
{
    return pg_gap(pg, cbPage) < cbNodeWithSlot;
}

void bt_pg_zero(uint8_t *pg, uint32_t cbPage)
{
    memset(pg + PAGE_OFF_OBJID, 0, cbPage - PAGE_OFF_OBJID); /* crc, pgno, lsn are the cache's */
}

void bt_pg_init(uint8_t *pg, uint32_t cbPage, uint32_t objid, uint32_t flags, uint32_t level)
{
    bt_pg_zero(pg, cbPage);
    pg_set_objid(pg, objid);
    pg_set_flags(pg, flags);
    le_put16(pg + BTP_OFF_IBHEAP, BTP_HEAP_START);
    pg[BTP_OFF_LEVEL] = (uint8_t)level;
}

/* Rewrite the heap in slot order, leaving out node `iskip` (its slot keeps a
 * stale offset that the caller rewrites).  Keeps P4. */
static void compact_except(uint8_t *pg, uint32_t cbPage, uint8_t *scratch, uint32_t iskip)
{
    uint32_t cslot = pg_cslot(pg), ibOld = pg_ibheap(pg), ib = pg_heap_start(pg);
    for (uint32_t i = 0; i < cslot; i++) {
        if (i == iskip)
            continue;
        uint32_t off = node_at(pg, cbPage, i), cb = node_bytes(pg, off);
        memcpy(scratch + ib, pg + off, cb);
        le_put16(pg + slot_off(cbPage, i), ib);
        ib += cb;
    }
    memcpy(pg + pg_heap_start(pg), scratch + pg_heap_start(pg), ib - pg_heap_start(pg));
    if (ibOld > ib)
        memset(pg + ib, 0, ibOld - ib);
    le_put16(pg + BTP_OFF_IBHEAP, ib);
    le_put16(pg + BTP_OFF_CBFRAG, 0);
}

void bt_pg_compact(uint8_t *pg, uint32_t cbPage, uint8_t *scratch)
{
    compact_except(pg, cbPage, scratch, UINT32_MAX);
}

/* Append a node to the heap: cbKeyWord (stored length | BT_KEY_WHOLE) and
 * the stored key bytes. */
static uint32_t write_node(uint8_t *pg, const void *key, uint32_t cbKeyWord, const void *data, uint32_t cbData,
                           uint32_t flags)
{
    uint32_t off = pg_ibheap(pg), cbKey = cbKeyWord & BT_KEY_LEN;
    le_put16(pg + off, cbKeyWord);
    le_put16(pg + off + 2, cbData);
    le_put16(pg + off + 4, flags);
    if (cbKey)
        memcpy(pg + off + BT_NODE_HDR, key, cbKey);
    if (cbData)
        memcpy(pg + off + BT_NODE_HDR + cbKey, data, cbData);
    le_put16(pg + BTP_OFF_IBHEAP, off + BT_NODE_HDR + cbKey + cbData);
    return off;
}

static uint32_t lcp_bytes(const uint8_t *a, uint32_t cba, const uint8_t *b, uint32_t cbb)
{
    uint32_t c = 0, cb = cba < cbb ? cba : cbb;
    while (c < cb && a[c] == b[c])
        c++;
    return c;
}

/* How an insert of key stores it (X2): after the prefix, whole, or after a
 * shorter prefix of *pcbNew bytes (the page re-encoded first). */
enum { INS_SUFFIX, INS_WHOLE, INS_SHRINK };

static int insert_plan(const uint8_t *pg, uint32_t cbPage, const uint8_t *key, uint32_t cbKey, uint32_t cbData,
                       int64_t *pcost, uint32_t *pcbNew)
{
    uint32_t P = pg_cbpfx(pg);
    if (page_pfx_cmp(pg, key, cbKey) == 0) {
        *pcost = bt_node_size(cbKey - P, cbData);
        *pcbNew = P;
        return INS_SUFFIX;
    }
    uint32_t p2 = lcp_bytes(pg_pfx(pg), P, key, cbKey), users = 0, wholeShare = 0;
    for (uint32_t i = 0; i < pg_cslot(pg); i++) {
        uint32_t off = node_at(pg, cbPage, i), w = le_get16(pg + off);
        if (!(w & BT_KEY_WHOLE))
            users++;
        else if (p2 && (w & BT_KEY_LEN) >= p2 && memcmp(pg + off + BT_NODE_HDR, pg_pfx(pg), p2) == 0)
            wholeShare++;
    }
    /* Re-encoding at p2 (bt_pg_reprefix) grows every node after the prefix
     * by P - p2, shrinks the prefix by as much, and stores the nodes kept
     * whole that share p2 after it: exact.  So keys that leave the prefix
     * one at a time are kept whole until together they pay for the change
     * (appends past a byte boundary), a lone one stays whole. */
    int64_t whole = bt_node_size(cbKey, cbData);
    int64_t shrink = (int64_t)bt_node_size(cbKey - p2, cbData) + (int64_t)(P - p2) * users - (P - p2) -
                     (int64_t)p2 * wholeShare;
    *pcbNew = p2;
    if (shrink < whole) {
        *pcost = shrink;
        return INS_SHRINK;
    }
    *pcost = whole;
    return INS_WHOLE;
}

uint32_t bt_pg_insert_cost(const uint8_t *pg, uint32_t cbPage, const void *key, uint32_t cbKey, uint32_t cbData,
                           int *pfScratch)
{
    int64_t cost;
    uint32_t cbNew;
    int how = insert_plan(pg, cbPage, key, cbKey, cbData, &cost, &cbNew);
    *pfScratch = how == INS_SHRINK || (cost > 0 && bt_pg_needs_compact(pg, cbPage, (uint32_t)cost));
    return cost > 0 ? (uint32_t)cost : 0;
}

void bt_pg_set_prefix(uint8_t *pg, uint32_t cbPage, const uint8_t *pfx, uint32_t cb)
{
    (void)cbPage;
    if (cb)
        memcpy(pg + BTP_HEAP_START, pfx, cb);
    pg[BTP_OFF_CBPFX] = (uint8_t)cb;
    le_put16(pg + BTP_OFF_IBHEAP, BTP_HEAP_START + cb);
}

uint32_t bt_pg_used_with(const uint8_t *pg, uint32_t cbPage, const uint8_t *pfx, uint32_t cb)
{
    uint32_t used = cb;
    for (uint32_t i = 0; i < pg_cslot(pg); i++) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        int share = cb == 0 || (n.cbKey >= cb && bt_node_lcp(&n, &(bt_node){ NULL, 0, pfx, cb, cb, NULL, 0, 0 }) == cb);
        used += bt_node_size(share ? n.cbKey - cb : n.cbKey, n.cbData);
    }
    return used;
}

void bt_pg_reprefix(uint8_t *pg, uint32_t cbPage, const uint8_t *pfx, uint32_t cb, uint8_t *scratch)
{
    /* Build the heap in scratch (the new prefix first: pfx may point into
     * the page), then copy it back; slots keep their order. */
    uint32_t cslot = pg_cslot(pg), ibOld = pg_ibheap(pg), ib = BTP_HEAP_START + cb;
    bt_node pn = { NULL, 0, NULL, cb, cb, NULL, 0, 0 };
    if (cb)
        memcpy(scratch + BTP_HEAP_START, pfx, cb);
    pn.sfx = scratch + BTP_HEAP_START;
    for (uint32_t i = 0; i < cslot; i++) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        int share = cb == 0 || (n.cbKey >= cb && bt_node_lcp(&n, &pn) == cb);
        uint32_t skip = share ? cb : 0, cbStored = n.cbKey - skip, off = ib;
        le_put16(scratch + off, cbStored | (share ? 0 : BT_KEY_WHOLE));
        le_put16(scratch + off + 2, n.cbData);
        le_put16(scratch + off + 4, n.flags);
        /* the stored bytes: the node's key from byte `skip` on */
        uint8_t *dst = scratch + off + BT_NODE_HDR;
        for (uint32_t b = skip; b < n.cbKey; b++)
            *dst++ = node_byte(&n, b);
        if (n.cbData)
            memcpy(dst, n.data, n.cbData);
        ib += BT_NODE_HDR + cbStored + n.cbData;
        /* slot i now names the new offset: written after the loop (the
         * page's nodes are still read through the old slots) */
    }
    /* Second pass: slot offsets in order (sizes are known from scratch). */
    uint32_t off = BTP_HEAP_START + cb;
    for (uint32_t i = 0; i < cslot; i++) {
        le_put16(pg + slot_off(cbPage, i), off);
        off += BT_NODE_HDR + (le_get16(scratch + off) & BT_KEY_LEN) + le_get16(scratch + off + 2);
    }
    memcpy(pg + BTP_HEAP_START, scratch + BTP_HEAP_START, ib - BTP_HEAP_START);
    if (ibOld > ib)
        memset(pg + ib, 0, ibOld - ib);   /* P4 */
    pg[BTP_OFF_CBPFX] = (uint8_t)cb;
    le_put16(pg + BTP_OFF_IBHEAP, ib);
    le_put16(pg + BTP_OFF_CBFRAG, 0);
}

void bt_pg_tighten(uint8_t *pg, uint32_t cbPage, uint8_t *scratch)
{
    uint32_t cslot = pg_cslot(pg);
    if (cslot == 0 || !pg_is_leaf(pg))
        return;
    bt_node a, b;
    bt_pg_node(pg, cbPage, 0, &a);
    bt_pg_node(pg, cbPage, cslot - 1, &b);
    uint32_t cb = bt_node_lcp(&a, &b);
    if (cb > bt_pfx_max(cbPage))
        cb = bt_pfx_max(cbPage);
    /* Already that prefix: same length, and node 0 is stored after it. */
    if (cb == pg_cbpfx(pg) && (cb == 0 || a.cbPfx == cb))
        return;
    uint8_t key[BT_KEY_MAX];
    const uint8_t *pfx = bt_node_key(&a, key);
    /* a tie takes the longer prefix: a page of one node (an append split's
     * new page) keeps its whole key as the prefix, and the keys appended
     * after it shorten it to what they share */
    if (bt_pg_used_with(pg, cbPage, pfx, cb) <= bt_pg_used(pg, cbPage))
        bt_pg_reprefix(pg, cbPage, pfx, cb, scratch);
}

void bt_pg_insert(uint8_t *pg, uint32_t cbPage, uint32_t i, const void *key, uint32_t cbKey, const void *data,
                  uint32_t cbData, uint32_t flags, uint8_t *scratch)
{
    int64_t cost;
    uint32_t cbNew, cbWord;
    const uint8_t *k = key;
    int how = insert_plan(pg, cbPage, k, cbKey, cbData, &cost, &cbNew);
    if (how == INS_SHRINK && scratch == NULL)
        how = INS_WHOLE;
    if (how == INS_SHRINK) {
        bt_pg_reprefix(pg, cbPage, pg_pfx(pg), cbNew, scratch);
        how = INS_SUFFIX;
    }
    if (how == INS_SUFFIX) {
        k += pg_cbpfx(pg);
        cbWord = cbKey - pg_cbpfx(pg);
    } else {
        cbWord = cbKey | BT_KEY_WHOLE;
    }
    uint32_t cslot = pg_cslot(pg);
    if (bt_pg_needs_compact(pg, cbPage, bt_node_size(cbWord & BT_KEY_LEN, cbData)))
        bt_pg_compact(pg, cbPage, scratch);
    uint32_t off = write_node(pg, k, cbWord, data, cbData, flags);
    /* Slots i..cslot-1 move one place down in memory (P1 keeps key order). */
    uint32_t base = cbPage - BT_SLOT * cslot;
    memmove(pg + base - BT_SLOT, pg + base, BT_SLOT * (cslot - i));
    le_put16(pg + slot_off(cbPage, i), off);
    le_put16(pg + BTP_OFF_CSLOT, cslot + 1);
}

/* Drop node bytes at off (P4: zeroed; P2: heap shrinks or fragments grow). */
static void free_node_bytes(uint8_t *pg, uint32_t off)
{
    uint32_t cb = node_bytes(pg, off);
    memset(pg + off, 0, cb);
    if (off + cb == pg_ibheap(pg))
        le_put16(pg + BTP_OFF_IBHEAP, off);
    else
        le_put16(pg + BTP_OFF_CBFRAG, pg_cbfrag(pg) + cb);
}

void bt_pg_delete(uint8_t *pg, uint32_t cbPage, uint32_t i)
{
    uint32_t cslot = pg_cslot(pg);
    free_node_bytes(pg, node_at(pg, cbPage, i));
    uint32_t base = cbPage - BT_SLOT * cslot;
    memmove(pg + base + BT_SLOT, pg + base, BT_SLOT * (cslot - 1 - i));
    memset(pg + base, 0, BT_SLOT);
    le_put16(pg + BTP_OFF_CSLOT, cslot - 1);
    if (cslot == 1) {
        /* Empty: every heap byte is zero already (P4); reset the heap (the
         * prefix stays: it is the page's, not the nodes'). */
        le_put16(pg + BTP_OFF_IBHEAP, pg_heap_start(pg));
        le_put16(pg + BTP_OFF_CBFRAG, 0);
    }
}

void bt_pg_replace(uint8_t *pg, uint32_t cbPage, uint32_t i, const void *data, uint32_t cbData, uint8_t *scratch)
{
    uint32_t off = node_at(pg, cbPage, i);
    uint32_t cbWord = le_get16(pg + off), cbKey = cbWord & BT_KEY_LEN;
    uint32_t cbOld = le_get16(pg + off + 2), flags = le_get16(pg + off + 4);
    if (cbOld == cbData) {
        if (cbData)
            memcpy(pg + off + BT_NODE_HDR + cbKey, data, cbData);
        return;
    }
    uint32_t cbNew = BT_NODE_HDR + cbKey + cbData;
    if (pg_gap(pg, cbPage) >= cbNew) {
        /* Room at the heap's end: write the new node, then drop the old one. */
        uint32_t offNew = write_node(pg, pg + off + BT_NODE_HDR, cbWord, data, cbData, flags);
        le_put16(pg + slot_off(cbPage, i), offNew);
        free_node_bytes(pg, off);
        return;
    }
    /* Compact without the old node; its key waits at the end of scratch,
     * which the compacted heap cannot reach (the old node is bigger than
     * its key). */
    uint8_t *keySaved = scratch + cbPage - cbKey;
    memcpy(keySaved, pg + off + BT_NODE_HDR, cbKey);
    compact_except(pg, cbPage, scratch, i);
    uint32_t offNew = write_node(pg, keySaved, cbWord, data, cbData, flags);
    le_put16(pg + slot_off(cbPage, i), offNew);
}

void bt_pg_setflags(uint8_t *pg, uint32_t cbPage, uint32_t i, uint32_t flags)
{
    le_put16(pg + node_at(pg, cbPage, i) + 4, flags);
}

void bt_pg_used_ranges(const uint8_t *pg, uint32_t cbPage, uint32_t *pcbHead, uint32_t *pcbTail)
{
    uint32_t flags = pg_flags(pg);
    if (flags & (BTP_LEAF | BTP_INTERNAL)) {
        *pcbHead = pg_ibheap(pg);
        *pcbTail = BT_SLOT * pg_cslot(pg);
    } else if (flags & BTP_SPACE) {
        *pcbHead = BTS_END;
        *pcbTail = 0;
    } else {
        *pcbHead = PAGE_HEADER_SIZE;
        *pcbTail = 0;
    }
    (void)cbPage;
}
