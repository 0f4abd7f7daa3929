/*
 * page.c -- slotted tree pages: node search, insert, delete, replace,
 * compaction, layout validation.  Pure functions on page bytes, shared by the
 * do path and redo so that redo reproduces a page byte for byte.
 *
 * Owns: invariants P1..P4 of btree_int.h (the page layout).
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
    return BT_NODE_HDR + le_get16(pg + off) + le_get16(pg + off + 2);
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
    /* P3 */
    if (ibHeap < BTP_HEAP_START || (uint64_t)ibHeap + (uint64_t)BT_SLOT * cslot > cbPage)
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
        if (off < BTP_HEAP_START || off + BT_NODE_HDR > ibHeap)
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
    if (sum + cbFrag != ibHeap - BTP_HEAP_START)
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
    uint32_t off = node_at(pg, cbPage, i);
    pn->cbKey = le_get16(pg + off);
    pn->cbData = le_get16(pg + off + 2);
    pn->flags = le_get16(pg + off + 4);
    pn->key = pg + off + BT_NODE_HDR;
    pn->data = pn->key + pn->cbKey;
}

uint32_t bt_pg_child(const uint8_t *pg, uint32_t cbPage, uint32_t i)
{
    bt_node n;
    bt_pg_node(pg, cbPage, i, &n);
    return le_get32(n.data);
}

static int cmp_slot(const uint8_t *pg, uint32_t cbPage, uint32_t i, const void *key, uint32_t cbKey)
{
    uint32_t off = node_at(pg, cbPage, i);
    return bt_keycmp(pg + off + BT_NODE_HDR, le_get16(pg + off), key, cbKey);
}

uint32_t bt_pg_search(const uint8_t *pg, uint32_t cbPage, const void *key, uint32_t cbKey, int *pfound)
{
    uint32_t lo = 0, hi = pg_cslot(pg);
    *pfound = 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp_slot(pg, cbPage, mid, key, cbKey);
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
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp_slot(pg, cbPage, mid, key, cbKey);
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
    return pg_ibheap(pg) - BTP_HEAP_START - pg_cbfrag(pg) + BT_SLOT * pg_cslot(pg);
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
    uint32_t cslot = pg_cslot(pg), ibOld = pg_ibheap(pg), ib = BTP_HEAP_START;
    for (uint32_t i = 0; i < cslot; i++) {
        if (i == iskip)
            continue;
        uint32_t off = node_at(pg, cbPage, i), cb = node_bytes(pg, off);
        memcpy(scratch + ib, pg + off, cb);
        le_put16(pg + slot_off(cbPage, i), ib);
        ib += cb;
    }
    memcpy(pg + BTP_HEAP_START, scratch + BTP_HEAP_START, ib - BTP_HEAP_START);
    if (ibOld > ib)
        memset(pg + ib, 0, ibOld - ib);
    le_put16(pg + BTP_OFF_IBHEAP, ib);
    le_put16(pg + BTP_OFF_CBFRAG, 0);
}

void bt_pg_compact(uint8_t *pg, uint32_t cbPage, uint8_t *scratch)
{
    compact_except(pg, cbPage, scratch, UINT32_MAX);
}

static uint32_t write_node(uint8_t *pg, const void *key, uint32_t cbKey, const void *data, uint32_t cbData,
                           uint32_t flags)
{
    uint32_t off = pg_ibheap(pg);
    le_put16(pg + off, cbKey);
    le_put16(pg + off + 2, cbData);
    le_put16(pg + off + 4, flags);
    if (cbKey)
        memcpy(pg + off + BT_NODE_HDR, key, cbKey);
    if (cbData)
        memcpy(pg + off + BT_NODE_HDR + cbKey, data, cbData);
    le_put16(pg + BTP_OFF_IBHEAP, off + BT_NODE_HDR + cbKey + cbData);
    return off;
}

void bt_pg_insert(uint8_t *pg, uint32_t cbPage, uint32_t i, const void *key, uint32_t cbKey, const void *data,
                  uint32_t cbData, uint32_t flags, uint8_t *scratch)
{
    uint32_t cslot = pg_cslot(pg);
    if (bt_pg_needs_compact(pg, cbPage, bt_node_size(cbKey, cbData)))
        bt_pg_compact(pg, cbPage, scratch);
    uint32_t off = write_node(pg, key, cbKey, data, cbData, flags);
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
        /* Empty: every heap byte is zero already (P4); reset the heap. */
        le_put16(pg + BTP_OFF_IBHEAP, BTP_HEAP_START);
        le_put16(pg + BTP_OFF_CBFRAG, 0);
    }
}

void bt_pg_replace(uint8_t *pg, uint32_t cbPage, uint32_t i, const void *data, uint32_t cbData, uint8_t *scratch)
{
    uint32_t off = node_at(pg, cbPage, i);
    uint32_t cbKey = le_get16(pg + off), cbOld = le_get16(pg + off + 2), flags = le_get16(pg + off + 4);
    if (cbOld == cbData) {
        if (cbData)
            memcpy(pg + off + BT_NODE_HDR + cbKey, data, cbData);
        return;
    }
    uint32_t cbNew = BT_NODE_HDR + cbKey + cbData;
    if (pg_gap(pg, cbPage) >= cbNew) {
        /* Room at the heap's end: write the new node, then drop the old one. */
        uint32_t offNew = write_node(pg, pg + off + BT_NODE_HDR, cbKey, data, cbData, flags);
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
    uint32_t offNew = write_node(pg, keySaved, cbKey, data, cbData, flags);
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
