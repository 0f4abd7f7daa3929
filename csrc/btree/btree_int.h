/*
 * btree_int.h -- private to csrc/btree: on-disk layouts of tree pages, the
 * space page, free pages and this layer's log records; the latching protocol;
 * and the helpers shared by page.c, space.c, btree.c, smo.c, cursor.c,
 * redo.c and check.c.
 *
 * Owns: every byte of a data page past the cache's fields (crc, pgno, lsn),
 * i.e. objid, flags, prev, next, the two reserved words and the page body.
 * Must not touch: the crc / pgno / lsn words (the cache writes them: pgno by
 * cache_new, lsn by cache_dirty), files, the log's framing.
 *
 * All integers this layer writes (pages and log payloads) are little-endian.
 *
 * ---------------------------------------------------------------------------
 * Tree page (flags BTP_LEAF or BTP_INTERNAL, plus BTP_ROOT on the root):
 *
 *      offset  size  field
 *        0      4    crc          (cache)
 *        4      4    pgno         (cache)
 *        8      8    lsn          (cache)
 *       16      4    objid        tree owning the page
 *       20      4    flags        BTP_*
 *       24      4    prev         left sibling leaf (0 = none; leaves only)
 *       28      4    next         right sibling leaf (0 = none; leaves only)
 *       32      2    cslot        number of nodes
 *       34      2    ibHeap       end of the node heap (heap = [40, ibHeap))
 *       36      2    cbFrag       dead bytes inside the heap
 *       38      1    level        0 = leaf, parent = child + 1
 *       39      1    reserved     0
 *       40      ..   node heap, growing up
 *       ..      ..   zeros (the gap)
 *    cbPage-2*cslot  slot array, growing down: slot i (u16 node offset) at
 *                    cbPage - 2*(i+1); slots are in key order.
 *
 * Node (at the offset its slot gives):
 *        0      2    cbKey
 *        2      2    cbData
 *        4      2    node flags (BT_NODE_*; 0 on internal pages)
 *        6    cbKey  key
 *   6+cbKey  cbData  data (internal pages: u32 child pgno, cbData = 4)
 *
 * Page invariants (kept by page.c; checked by bt_pg_check on every read):
 *   P1. Keys strictly increase with the slot index (memcmp, then length).
 *   P2. Every node lies inside [40, ibHeap); nodes do not overlap;
 *       sum(node sizes) + cbFrag == ibHeap - 40.
 *   P3. ibHeap <= cbPage - 2*cslot.
 *   P4. Every byte that is not header, live node or slot is zero, so a page
 *       image of the used bytes (head [0, ibHeap), tail the slot array)
 *       rebuilds the page exactly.
 *   P5. Internal pages: node 0 has an empty key and stands for "minus
 *       infinity"; node i > 0 holds separator s_i: every key in the subtree
 *       of child i is >= s_i and < s_(i+1) (lower-bound separators).
 * Tree invariants (kept by btree.c / smo.c; checked by bt_check):
 *   T1. The leaves form a doubly linked list (prev/next) in key order, with 0
 *       at both ends.  Internal pages are not linked.
 *   T2. Every page of a tree carries its objid; only the root has BTP_ROOT;
 *       a child's level is its parent's level - 1.
 *   T3. Only the root may be empty (no nodes).
 *   T4. The root page never moves: a full root pushes its contents down into
 *       a new child, a root with a single child pulls the child up.
 *   T5. Every node fits a quarter of a page: 6 + key + data + 2 <= cap / 4,
 *       where cap = cbPage - 40.  Hence a split of a full page plus one node
 *       always yields two pages that fit, and a separator (a prefix of a leaf
 *       key) plus a 4-byte pgno fits as well.
 *
 * ---------------------------------------------------------------------------
 * Space page (pgno returned by bt_space_init, 1 for a new file; flags
 * BTP_SPACE, objid 0):
 *       40      4    cpgOwned     data pages the file owns (pgno 1..cpgOwned)
 *       44      4    pgnoHwm      highest pgno ever handed out; pages
 *                                 pgnoHwm+1..cpgOwned are free, never used
 *       48      4    pgnoFree     first page of the free list (0 = empty)
 *       52      4    cpgFree      pages on the free list
 *       56      4    magic        BT_SPACE_MAGIC
 * Free page (flags BTP_FREE, objid 0, body zero): next page of the free list
 * in the header's `next` word.
 *   S1. A page is in exactly one of: the space page, a tree, the free list,
 *       the never-used range (pgnoHwm, cpgOwned] (a crash between two log
 *       records of one change may leak a page: see "Atomicity" below).
 *
 * ---------------------------------------------------------------------------
 * Log record payloads (after the log's own 16-byte header):
 *   LOG_REC_BT_PAGEIMAGE   0 u32 dbid, 4 u32 pgno, 8 u32 cbHead, 12 u32 cbTail,
 *                          16 head bytes (page[0..cbHead)), then tail bytes
 *                          (page[cbPage-cbTail..cbPage)); the middle is zero.
 *   LOG_REC_BT_INSERT      0 u32 dbid, 4 u32 pgno, 8 u16 node flags,
 *                          10 u16 cbKey, 12 u16 cbData, 14 key, data
 *   LOG_REC_BT_DELETE      0 u32 dbid, 4 u32 pgno, 8 u16 cbKey, 10 key
 *   LOG_REC_BT_REPLACE     0 u32 dbid, 4 u32 pgno, 8 u16 cbKey, 10 u16 cbData,
 *                          12 key, data
 *   LOG_REC_BT_SETFLAGS    0 u32 dbid, 4 u32 pgno, 8 u16 node flags,
 *                          10 u16 cbKey, 12 key
 * Record operations are redone by running the very same page.c function on
 * the same bytes, so redo reproduces the page byte for byte (P4).
 *
 * Atomicity.  A structure change logs one PAGEIMAGE per page it touched;
 * a log that ends inside a change replays a prefix of its images.  The
 * order keeps every prefix readable by key:
 *   1. the space page, as each page is allocated (a prefix leaks a page);
 *   2. pages that gain keys: new pages, merge targets;
 *   3. the path top-down: a parent routes to its new child before the
 *      child that gave up keys is logged (a prefix holds some keys twice,
 *      never none);
 *   4. neighbours' sibling links;
 *   5. freed pages, each followed by the space page: after every page that
 *      referred to them (a prefix leaks a page, never frees a live one).
 * A prefix may still leave sibling links or a duplicate copy of some keys
 * that bt_check reports; only a multi-page record (or a recovery driver
 * that drops an incomplete change) would make a change atomic.
 *
 * ---------------------------------------------------------------------------
 * Latching protocol (cache page latches only; no mutex of our own):
 *   L1. Readers (lookup, seek, first/last) descend from the root with shared
 *       latches, coupling: the child is latched before the parent is released.
 *   L2. A cursor moving right couples leaf to leaf (holds the leaf, latches
 *       its next, releases the leaf).  Nobody ever waits for a page on its
 *       left while holding a leaf: moving left releases the leaf first, then
 *       latches the left page, checks that its `next` still names the leaf
 *       and re-latches the leaf (left to right again).
 *   L3. Record operations that fit their leaf (the "optimistic" path) descend
 *       as readers and latch the leaf exclusively while still holding its
 *       parent shared.  A root found to be a leaf is released and latched
 *       again exclusively (then re-checked: it may have grown a level).
 *   L4. Everything else (splits, merges, root push-down/collapse, drop) takes
 *       the root EXCLUSIVELY first and keeps it to the end: at most one
 *       structure change per tree at a time, and no new descent starts while
 *       it runs.  It latches the path top-down, exclusively.  Holding a page's
 *       parent exclusively freezes the page: nobody can reach it to change it
 *       (record operations hold the parent while latching the leaf, L3), so
 *       a structure change may release a leaf and latch it again.
 *   L5. A structure change waits for a page only in "top-down, left to right"
 *       order with respect to what the others hold: it never waits for a
 *       page while holding one of that page's children or, at the leaf
 *       level, its right neighbour (it releases the leaf first, L4); before
 *       working on a higher level it releases every page below that level.
 *       Readers hold at most a page and its child, or a leaf and its next,
 *       and always wait downward or rightward, so no cycle can form.
 *   L6. The space page is latched after tree pages, never before one, and
 *       released before any further tree page is latched; free-list pages
 *       are unreachable from trees, so latching them cannot deadlock.
 *   L7. Cursors hold no latch between calls; they remember (pgno, slot, key)
 *       and, on the next move, re-latch the page and verify by key that it is
 *       still a leaf of the tree holding (or bracketing) that key; otherwise
 *       they re-seek from the root by key.
 */
#ifndef ESEPY_BTREE_INT_H
#define ESEPY_BTREE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "btree.h"
#include "os.h"

/* ---- page header fields owned by the btree ------------------------------- */
#define BTP_OFF_CSLOT   32
#define BTP_OFF_IBHEAP  34
#define BTP_OFF_CBFRAG  36
#define BTP_OFF_LEVEL   38
#define BTP_HEAP_START  PAGE_HEADER_SIZE

/* PAGE_FLAG_* of the common header (cache.h leaves them to the btree). */
#define BTP_LEAF     0x01u
#define BTP_INTERNAL 0x02u
#define BTP_ROOT     0x04u
#define BTP_SPACE    0x08u
#define BTP_FREE     0x10u

#define BT_NODE_HDR  6    /* cbKey, cbData, flags */
#define BT_SLOT      2
#define BT_PGNO_SIZE 4    /* data of an internal node */
#define BT_MAX_DEPTH 32   /* deeper = corrupt (a 4 KiB tree this deep would hold > 2^31 nodes) */

/* Space page body. */
#define BTS_OFF_OWNED  40
#define BTS_OFF_HWM    44
#define BTS_OFF_FREE   48
#define BTS_OFF_CFREE  52
#define BTS_OFF_MAGIC  56
#define BTS_END        60
#define BT_SPACE_MAGIC 0x43415053u /* "SPAC" */

/* Log payload header sizes. */
#define BTL_IMAGE_HDR    16
#define BTL_INSERT_HDR   14
#define BTL_DELETE_HDR   10
#define BTL_REPLACE_HDR  12
#define BTL_SETFLAGS_HDR 12

/* ---- little-endian access ------------------------------------------------ */
static inline uint16_t bt_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t bt_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void bt_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void bt_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- page header accessors ------------------------------------------------ */
static inline uint32_t pg_objid(const uint8_t *pg) { return bt_get32(pg + PAGE_OFF_OBJID); }
static inline uint32_t pg_flags(const uint8_t *pg) { return bt_get32(pg + PAGE_OFF_FLAGS); }
static inline uint32_t pg_prev(const uint8_t *pg) { return bt_get32(pg + PAGE_OFF_PREV); }
static inline uint32_t pg_next(const uint8_t *pg) { return bt_get32(pg + PAGE_OFF_NEXT); }
static inline uint32_t pg_cslot(const uint8_t *pg) { return bt_get16(pg + BTP_OFF_CSLOT); }
static inline uint32_t pg_ibheap(const uint8_t *pg) { return bt_get16(pg + BTP_OFF_IBHEAP); }
static inline uint32_t pg_cbfrag(const uint8_t *pg) { return bt_get16(pg + BTP_OFF_CBFRAG); }
static inline uint32_t pg_level(const uint8_t *pg) { return pg[BTP_OFF_LEVEL]; }
static inline int      pg_is_leaf(const uint8_t *pg) { return (pg_flags(pg) & BTP_LEAF) != 0; }
static inline void pg_set_objid(uint8_t *pg, uint32_t v) { bt_put32(pg + PAGE_OFF_OBJID, v); }
static inline void pg_set_flags(uint8_t *pg, uint32_t v) { bt_put32(pg + PAGE_OFF_FLAGS, v); }
static inline void pg_set_prev(uint8_t *pg, uint32_t v) { bt_put32(pg + PAGE_OFF_PREV, v); }
static inline void pg_set_next(uint8_t *pg, uint32_t v) { bt_put32(pg + PAGE_OFF_NEXT, v); }

/* Usable bytes of a page (nodes + slots). */
static inline uint32_t bt_cap(uint32_t cbPage) { return cbPage - PAGE_HEADER_SIZE; }
/* Node size including its slot. */
static inline uint32_t bt_node_size(uint32_t cbKey, uint32_t cbData) { return BT_NODE_HDR + cbKey + cbData + BT_SLOT; }

/* A node as seen in a page (pointers into the page, valid while latched). */
typedef struct bt_node {
    const uint8_t *key;
    uint32_t       cbKey;
    const uint8_t *data;
    uint32_t       cbData;
    uint32_t       flags;
} bt_node;

/* ---- page.c: slotted pages (pure functions on page bytes) ---------------- */

/* memcmp, then shorter-is-smaller. */
int      bt_keycmp(const void *a, uint32_t cba, const void *b, uint32_t cbb);
/* Validate a tree page's layout (P2, P3, node bounds; not key order).
 * 0 = sane, -1 = corrupt. */
int      bt_pg_check(const uint8_t *pg, uint32_t cbPage);
void     bt_pg_node(const uint8_t *pg, uint32_t cbPage, uint32_t i, bt_node *pn);
uint32_t bt_pg_child(const uint8_t *pg, uint32_t cbPage, uint32_t i);
/* First slot whose key is >= key (cslot if none); *pfound = key equal. */
uint32_t bt_pg_search(const uint8_t *pg, uint32_t cbPage, const void *key, uint32_t cbKey, int *pfound);
/* Internal page: index of the child to descend into for key: the last node
 * whose separator is <= key (strict: < key), node 0 counting as -infinity. */
uint32_t bt_pg_route(const uint8_t *pg, uint32_t cbPage, const void *key, uint32_t cbKey, int strict);
/* Bytes used by nodes and slots. */
uint32_t bt_pg_used(const uint8_t *pg, uint32_t cbPage);
/* Free bytes (gap + fragments). */
uint32_t bt_pg_free(const uint8_t *pg, uint32_t cbPage);
/* 1 if inserting a node of this size needs compaction first (and so scratch). */
int      bt_pg_needs_compact(const uint8_t *pg, uint32_t cbPage, uint32_t cbNodeWithSlot);
/* Format an empty tree page (keeps crc/pgno/lsn, zeroes the rest). */
void     bt_pg_init(uint8_t *pg, uint32_t cbPage, uint32_t objid, uint32_t flags, uint32_t level);
/* Zero everything but crc/pgno/lsn. */
void     bt_pg_zero(uint8_t *pg, uint32_t cbPage);
/* Insert at slot i.  Requires bt_pg_free >= node size; scratch (cbPage bytes)
 * is required when bt_pg_needs_compact says so. */
void     bt_pg_insert(uint8_t *pg, uint32_t cbPage, uint32_t i, const void *key, uint32_t cbKey,
                      const void *data, uint32_t cbData, uint32_t flags, uint8_t *scratch);
void     bt_pg_delete(uint8_t *pg, uint32_t cbPage, uint32_t i);
/* Replace the data of node i.  Requires free + old size >= new size; scratch
 * as for insert. */
void     bt_pg_replace(uint8_t *pg, uint32_t cbPage, uint32_t i, const void *data, uint32_t cbData,
                       uint8_t *scratch);
void     bt_pg_setflags(uint8_t *pg, uint32_t cbPage, uint32_t i, uint32_t flags);
void     bt_pg_compact(uint8_t *pg, uint32_t cbPage, uint8_t *scratch);
/* The used byte ranges of any page this layer writes (for images). */
void     bt_pg_used_ranges(const uint8_t *pg, uint32_t cbPage, uint32_t *pcbHead, uint32_t *pcbTail);

/* ---- btree.c: reading pages, descents, record operations ---------------- */

/* Read a tree page of `objid` (0 = any; checks flags and layout):
 * JET_errDatabaseCorrupted if it is not one, JET_errBadPageLink if the pgno
 * names no written page. */
JET_ERR  bt_read_tree_page(const bt_env *env, uint32_t pgno, uint32_t objid, int latch, bf **ppbf);
/* Read a root (BTP_ROOT, objid != 0). */
JET_ERR  bt_read_root(const bt_env *env, uint32_t pgnoRoot, int latch, bf **ppbf);
/* Read child i of a latched internal page (objid, level and !ROOT checked:
 * JET_errBadParentPageLink). */
JET_ERR  bt_read_child(const bt_env *env, const uint8_t *pgParent, uint32_t i, int latch, bf **ppbf);

#define BT_DESCEND_KEY    0   /* the leaf whose range holds key */
#define BT_DESCEND_BEFORE 1   /* the leaf whose range holds the keys just below key */
#define BT_DESCEND_FIRST  2
#define BT_DESCEND_LAST   3
/* L1: descend with shared latches; *ppbf = the leaf, latched shared. */
JET_ERR  bt_descend_shared(const bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, int how,
                           bf **ppbf);
/* Log and apply one record operation (type LOG_REC_BT_INSERT..SETFLAGS) on
 * slot i of an exclusively latched leaf that has room for it. */
JET_ERR  bt_leaf_op(const bt_env *env, bf *pbf, uint8_t type, uint32_t i, const void *key, uint32_t cbKey,
                    const void *data, uint32_t cbData, uint32_t flags);
/* Used bytes below a quarter of the page: merge with a sibling if possible. */
int      bt_underfull(const uint8_t *pg, uint32_t cbPage);

/* ---- redo.c: logging ------------------------------------------------------- */

/* Log an after-image of the page and stamp it (cache_dirty / _unlogged). */
JET_ERR  bt_log_image(const bt_env *env, bf *pbf);
/* Log a record operation on a latched leaf (before changing it); *plsn
 * receives the lsn to stamp with bt_stamp after the change. */
JET_ERR  bt_log_insert(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                       uint32_t cbData, uint32_t flags, lsn_t *plsn);
JET_ERR  bt_log_delete(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, lsn_t *plsn);
JET_ERR  bt_log_replace(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                        uint32_t cbData, lsn_t *plsn);
JET_ERR  bt_log_setflags(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, uint32_t flags,
                         lsn_t *plsn);
void     bt_stamp(const bt_env *env, bf *pbf, lsn_t lsn);

/* ---- space.c --------------------------------------------------------------- */

/* Latch the space page exclusively (checks it is one). */
JET_ERR  bt_space_latch(const bt_env *env, uint32_t pgnoSpace, bf **ppbfSpace);
/* Turn the latched page pbf into a free page on the list of the latched
 * space page; logs both.  Cannot fail before changing anything except in
 * logging. */
JET_ERR  bt_space_free_latched(const bt_env *env, bf *pbfSpace, bf *pbf);

/* ---- smo.c: structure changes (callers hold the root exclusively, L4) ----- */

/* One structure-changing operation in progress. */
typedef struct bt_smo {
    const bt_env *env;
    uint32_t pgnoSpace, pgnoRoot, objid, cbPage;
    int      depth;                         /* pages on the path: [0] root .. [depth-1] leaf */
    bf      *path[BT_MAX_DEPTH + 1];
    uint32_t islot[BT_MAX_DEPTH + 1];       /* index followed in path[k] (node index on the leaf) */
    uint8_t  touched[BT_MAX_DEPTH + 1];     /* path page changed: log its image */
    bf      *extra[8];                      /* neighbours and siblings latched for this change */
    uint8_t  etouched[8];
    int      cextra;
    bf      *pbfSpace;                      /* latched while freeing pages (L6) */
    bf      *dead[BT_MAX_DEPTH + 2];        /* unlinked pages, freed once their referrers are logged */
    int      cdead;
    bf      *fresh[BT_MAX_DEPTH + 2];       /* pages allocated up front for splits */
    int      cfresh, ifresh;
    uint8_t *scratch;                       /* cbPage bytes */
    uint8_t *sepbuf[2];                     /* separators being pushed up */
    uint8_t  seppgno[2][BT_PGNO_SIZE];      /* their child pgnos */
    int      isep;
    int      fAppend;                       /* insert at the end of the last leaf */
    int      fPrepend;                      /* insert at the start of the first leaf */
} bt_smo;

JET_ERR  bt_smo_begin(bt_smo *s, const bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot);
/* Latch the path to the leaf for key, exclusively (root first). */
JET_ERR  bt_smo_descend(bt_smo *s, const void *key, uint32_t cbKey);
/* Insert (key, data) in the leaf at the path's end, splitting as needed. */
JET_ERR  bt_smo_insert(bt_smo *s, const void *key, uint32_t cbKey, const void *data, uint32_t cbData,
                       uint32_t flags);
/* Replace the data of the node at the path's end (slot islot of the leaf). */
JET_ERR  bt_smo_replace(bt_smo *s, const void *data, uint32_t cbData);
/* Delete the node at the path's end and rebalance. */
JET_ERR  bt_smo_delete(bt_smo *s);
/* Log touched pages, release every latch, free unused fresh pages. */
JET_ERR  bt_smo_end(bt_smo *s, JET_ERR err);

#endif /* ESEPY_BTREE_INT_H */
