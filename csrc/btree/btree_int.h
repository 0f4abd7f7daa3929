/*
 * btree_int.h -- private to csrc/btree: on-disk layouts of tree pages, the
 * space page, free pages and this layer's log records; the latching protocol;
 * and the helpers shared by page.c, space.c, btree.c, smo.c, redist.c, group.c,
 * cursor.c, redo.c and check.c.
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
 *       39      1    cbPrefix     length of the page's key prefix (0: none,
 *                                 the only value of format-1 files)
 *       40  cbPrefix prefix       bytes that keys on the page may omit
 * 40+cbPrefix    ..   node heap, growing up
 *       ..      ..   zeros (the gap)
 *    cbPage-2*cslot  slot array, growing down: slot i (u16 node offset) at
 *                    cbPage - 2*(i+1); slots are in key order.
 *
 * Node (at the offset its slot gives):
 *        0      2    cbStored | BT_KEY_WHOLE: bytes of key stored here; bit 15
 *                    set = the stored bytes are the whole key, clear = the
 *                    key is the page prefix followed by the stored bytes
 *        2      2    cbData
 *        4      2    node flags (BT_NODE_*; 0 on internal pages)
 *        6  cbStored stored key bytes (the suffix, or the whole key)
 * 6+cbStored cbData  data (internal pages: u32 child pgno, cbData = 4)
 * Key prefix (DB_INCOMPAT_KEY_PREFIX, cache.h; issue 20 space): a page may
 * keep up to bt_pfx_max bytes that the keys of its nodes share once, right
 * after the header, before the heap (today only leaves built by splits and
 * merges get one; internal and bulk-loaded pages keep cbPrefix 0).  A key that does not start with the prefix is stored whole
 * (insert with scratch may instead shorten the prefix and re-encode the page
 * when that is smaller: bt_pg_insert_cost).  Splits and merges choose the
 * prefix of the pages they build (smo.c).  bt_pg_node hands a key out as a
 * (prefix, suffix) pair; bt_node_key makes it contiguous.  Pages of files
 * without the incompat bit never get a prefix (bt_env.fKeyPrefix 0), so they
 * stay readable by format-1 engines.
 *   X1. cbPrefix <= bt_pfx_max(cbPage); the heap starts at 40 + cbPrefix.
 *   X2. A node without BT_KEY_WHOLE has key prefix + stored bytes; every
 *       node's stored bytes count towards P2 (the prefix does not: it lies
 *       before the heap).  Key order (P1) is of the whole keys.
 *
 * Page invariants (kept by page.c; checked by bt_pg_check when a page is
 * first latched after it entered the cache or changed: bt_latched_problem):
 *   P1. Keys strictly increase with the slot index (memcmp, then length).
 *   P2. Every node lies inside [40 + cbPrefix, ibHeap); nodes do not
 *       overlap; sum(node sizes) + cbFrag == ibHeap - 40 - cbPrefix.
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
 *       the never-used range (pgnoHwm, cpgOwned].  Allocations and frees
 *       are parts of the structure change that needs them (atomic, below),
 *       so a crash can neither leak a page nor free a live one; only a page
 *       that bt_space_alloc hands to an outside caller is leaked by a crash
 *       before that caller logs it in place.
 *
 * ---------------------------------------------------------------------------
 * Log record payloads (after the log's own 16-byte header):
 *   LOG_REC_BT_PAGEIMAGE   0 u32 dbid, 4 u32 pgno, 8 u32 cbHead, 12 u32 cbTail,
 *                          16 u64 smoid, 24 head bytes (page[0..cbHead)),
 *                          then tail bytes (page[cbPage-cbTail..cbPage));
 *                          the middle is zero.
 *   LOG_REC_BT_PAGEDIFF    0 u32 dbid, 4 u32 pgno, 8 u32 crcBefore,
 *                          12 u32 crcAfter, 16 u64 smoid, 24 runs to the
 *                          end: {u16 offset, u16 length, bytes}, offsets
 *                          increasing, each >= PAGE_OFF_OBJID; the crcs
 *                          (crc32c) cover page[PAGE_OFF_OBJID..cbPage)
 *                          before and after the change.
 *   LOG_REC_BT_SMOEND      0 u32 dbid, 4 u32 cimages, 8 u64 smoid
 *   LOG_REC_BT_INSERT      0 u32 dbid, 4 u32 pgno, 8 u16 node flags,
 *                          10 u16 cbKey, 12 u16 cbData, 14 key, data
 *   LOG_REC_BT_INSERTU     0 u32 dbid, 4 u32 pgno, 8 u16 node flags,
 *                          10 u16 cbKey, 12 u16 cbData, 14 u16 cbClient,
 *                          16 client bytes (the caller's, opaque here),
 *                          key, data; redone as LOG_REC_BT_INSERT
 *   LOG_REC_BT_DELETE      0 u32 dbid, 4 u32 pgno, 8 u16 cbKey, 10 key
 *   LOG_REC_BT_REPLACE     0 u32 dbid, 4 u32 pgno, 8 u16 cbKey, 10 u16 cbData,
 *                          12 key, data
 *   LOG_REC_BT_SETFLAGS    0 u32 dbid, 4 u32 pgno, 8 u16 node flags,
 *                          10 u16 cbKey, 12 key
 * smoid names one structure change: the lsn of its first PAGEIMAGE, which
 * carries 0 there (it cannot know its own lsn: 0 = "my own lsn"); its other
 * images and its SMOEND carry that lsn.  An lsn is unique in the log stream,
 * so concurrent changes (other threads, trees, databases) never share an id.
 * cimages is the number of PAGEIMAGE and PAGEDIFF records of the change (a
 * page may be imaged more than once; the last image wins; a PAGEDIFF is
 * the only record of its page in its change).
 *   D1. A PAGEDIFF describes a page of a structure change as the bytes that
 *       changed since the change latched it (log volume, issue 20: an append
 *       split changes a few bytes of a full page).  Redo applies it only to
 *       the very bytes the change started from: a page whose lsn is older
 *       than the SMOEND holds, after the records before it were replayed,
 *       exactly what the change latched (every change of a page's bytes past
 *       the cache's words is logged and redone byte for byte, and bt_grp
 *       copies a page before its change touches it); crcBefore proves it,
 *       and a page that does not match is JET_errDatabaseCorrupted, never
 *       patched.  A page below the image threshold (T3 in btree.c: a
 *       write of it may be torn) is logged as an image, and so is a page
 *       whose old bytes are not a formatted page (new, never logged): a
 *       PAGEDIFF never has to repair a torn page; one that finds its page
 *       torn waits for the image (T3) like a record operation.
 * Record operations are redone by running the very same page.c function on
 * the same bytes, so redo reproduces the page byte for byte (P4).
 *
 * Atomicity (structure changes, bt_grp below).
 *   A1. A structure change latches exclusively every page it will change
 *       before changing any, and holds them all until its SMOEND is logged
 *       (nothing is released early, whatever the level).  Only pages it did
 *       not change may be let go before the end.
 *   A2. The change is logged at its end, in one run: an image of every page
 *       it changed, then SMOEND.  Each page is stamped with its image's lsn
 *       when that image is appended (so its recovery lsn is not younger than
 *       its image, cache invariant C4) and then, once SMOEND is appended,
 *       with the SMOEND's lsn.  No page of the change can therefore be written
 *       before the SMOEND is durable (C1: pages are not written while latched
 *       exclusively, and after that their lsn is the SMOEND's).
 *   A3. Between a change's first image and its SMOEND the log holds no other
 *       record for any of its pages (A1): other records in between are about
 *       other pages.  So redo may keep the images aside until the SMOEND and
 *       apply them as one (bt_redo), and a record for one of those pages
 *       proves that the change died without its SMOEND.
 *   A4. All fallible steps (latches, reads, allocation, memory) come before
 *       the first change; only log appends can fail afterwards.  When one
 *       does, the change is undone in memory from the copies bt_grp took when
 *       it latched the pages (their lsn stays that of the image last appended
 *       for them, harmless: redo of their content starts later), no SMOEND
 *       is logged, and redo drops the images that made it to the log.
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
 *       a structure change may let go of a page it has not changed yet and
 *       latch it again.  Every page it changes stays latched to its end (A1).
 *   L5. A structure change acquires everything before it changes anything
 *       (A4), in this order: the root and the path top-down; for deletes,
 *       after letting go of the (unchanged) leaf, the siblings of internal
 *       path pages that may have to merge, level by level top-down; then
 *       leaves from left to right (left neighbour or left sibling, the leaf,
 *       right sibling or right neighbour, the latter's right neighbour); then
 *       the space page (L6); then free pages.  So it never waits for an
 *       internal page while holding a leaf or one of that page's descendants,
 *       nor for a leaf while holding a leaf on its right.  Readers hold at
 *       most a page and its child, or a leaf and its next, and wait only
 *       downward or rightward (internal pages are never passed sideways): a
 *       reader chain from a page reaches only its descendants and the leaves
 *       right of them, none of which the change holds when it waits for that
 *       page, so no cycle can form.  A page found to be needed out of that
 *       order is either done without (merges above the leaves and root
 *       collapse use only what the plan latched: best effort, the tree stays
 *       valid, only less compact) or obtained by letting go of the unchanged
 *       pages after it and latching them again in order.
 *   L6. The space page is latched after every tree page of the change and
 *       held to the change's end (A1): structure changes of one database are
 *       serialized on it.  After it only free pages are latched; they are
 *       unreachable from trees (a cursor that finds one by a stale pgno holds
 *       nothing else and lets go at once), so latching them cannot deadlock:
 *       whoever holds the space page waits only for free pages, and whoever
 *       waits for it holds only pages no other change can want (pages of a
 *       tree whose root it holds exclusively, L4, or the page it frees).
 *   L7. Cursors hold no latch between calls; they remember (pgno, slot, key)
 *       and, on the next move, re-latch the page and verify by key that it is
 *       still a leaf of the tree holding (or bracketing) that key; otherwise
 *       they re-seek from the root by key.
 *   L8. An insert may reach the rightmost leaf without its parent (the
 *       append hint, H1 in btree.c): it latches the root shared (so no
 *       structure change is running, L4), then the leaf exclusively, and
 *       verifies the leaf by content before using it.  Nobody waits for a
 *       root while holding a latch, so this cannot deadlock.
 */
#ifndef ESEPY_BTREE_INT_H
#define ESEPY_BTREE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "btree.h"
#include "le.h"
#include "os.h"

/* ---- page header fields owned by the btree ------------------------------- */
#define BTP_OFF_CSLOT   32
#define BTP_OFF_IBHEAP  34
#define BTP_OFF_CBFRAG  36
#define BTP_OFF_LEVEL   38
#define BTP_OFF_CBPFX   39
#define BTP_HEAP_START  PAGE_HEADER_SIZE

/* PAGE_FLAG_* of the common header (cache.h leaves them to the btree). */
#define BTP_LEAF     0x01u
#define BTP_INTERNAL 0x02u
#define BTP_ROOT     0x04u
#define BTP_SPACE    0x08u
#define BTP_FREE     0x10u

#define BT_NODE_HDR  6    /* cbKey, cbData, flags */
#define BT_KEY_WHOLE 0x8000u  /* node cbKey word: key stored whole, no page prefix (X2) */
#define BT_KEY_LEN   0x7fffu
#define BT_KEY_MAX   (BT_PAGE_MAX / 4)  /* longest key (T5): size of a key buffer */
#define BT_PAGE_MAX  32768 /* largest page size (cache.h) */
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
#define BTL_IMAGE_HDR    24
#define BTL_SMOEND_SIZE  16
#define BTL_INSERT_HDR   14
#define BTL_DELETE_HDR   10
#define BTL_REPLACE_HDR  12
#define BTL_SETFLAGS_HDR 12
#define BTL_DIFF_HDR     24
#define BTL_INSERTU_HDR  16
#define BTL_DIFF_RUN     4    /* u16 offset, u16 length */

/* ---- page header accessors ------------------------------------------------ */
static inline uint32_t pg_objid(const uint8_t *pg) { return le_get32(pg + PAGE_OFF_OBJID); }
static inline uint32_t pg_flags(const uint8_t *pg) { return le_get32(pg + PAGE_OFF_FLAGS); }
static inline uint32_t pg_prev(const uint8_t *pg) { return le_get32(pg + PAGE_OFF_PREV); }
static inline uint32_t pg_next(const uint8_t *pg) { return le_get32(pg + PAGE_OFF_NEXT); }
static inline uint32_t pg_cslot(const uint8_t *pg) { return le_get16(pg + BTP_OFF_CSLOT); }
static inline uint32_t pg_ibheap(const uint8_t *pg) { return le_get16(pg + BTP_OFF_IBHEAP); }
static inline uint32_t pg_cbfrag(const uint8_t *pg) { return le_get16(pg + BTP_OFF_CBFRAG); }
static inline uint32_t pg_level(const uint8_t *pg) { return pg[BTP_OFF_LEVEL]; }
static inline uint32_t pg_cbpfx(const uint8_t *pg) { return pg[BTP_OFF_CBPFX]; }
static inline const uint8_t *pg_pfx(const uint8_t *pg) { return pg + BTP_HEAP_START; }
static inline uint32_t pg_heap_start(const uint8_t *pg) { return BTP_HEAP_START + pg_cbpfx(pg); }
static inline int      pg_is_leaf(const uint8_t *pg) { return (pg_flags(pg) & BTP_LEAF) != 0; }
static inline void pg_set_objid(uint8_t *pg, uint32_t v) { le_put32(pg + PAGE_OFF_OBJID, v); }
static inline void pg_set_flags(uint8_t *pg, uint32_t v) { le_put32(pg + PAGE_OFF_FLAGS, v); }
static inline void pg_set_prev(uint8_t *pg, uint32_t v) { le_put32(pg + PAGE_OFF_PREV, v); }
static inline void pg_set_next(uint8_t *pg, uint32_t v) { le_put32(pg + PAGE_OFF_NEXT, v); }

/* Usable bytes of a page (nodes + slots). */
static inline uint32_t bt_cap(uint32_t cbPage) { return cbPage - PAGE_HEADER_SIZE; }
/* Node size including its slot (cbKey: the bytes stored in the node). */
static inline uint32_t bt_node_size(uint32_t cbKey, uint32_t cbData) { return BT_NODE_HDR + cbKey + cbData + BT_SLOT; }
/* Longest page prefix (X1): small enough that a split of a full page still
 * yields two pages that fit when each keeps the old page's prefix (smo.c). */
static inline uint32_t bt_pfx_max(uint32_t cbPage)
{
    uint32_t m = bt_cap(cbPage) / 16;
    return m < 255 ? m : 255;
}

/* A node as seen in a page (pointers into the page, valid while latched).
 * Its key is pfx[0..cbPfx) followed by sfx[0..cbSfx) (cbPfx = 0 for a key
 * stored whole or a page without prefix); cbKey = cbPfx + cbSfx.  A node
 * built by a caller from a contiguous key: bt_node_of. */
typedef struct bt_node {
    const uint8_t *pfx;
    uint32_t       cbPfx;
    const uint8_t *sfx;
    uint32_t       cbSfx;
    uint32_t       cbKey;
    const uint8_t *data;
    uint32_t       cbData;
    uint32_t       flags;
} bt_node;

static inline bt_node bt_node_of(const void *key, uint32_t cbKey, const void *data, uint32_t cbData, uint32_t flags)
{
    bt_node n = { NULL, 0, (const uint8_t *)key, cbKey, cbKey, (const uint8_t *)data, cbData, flags };
    return n;
}
/* The node's key as one range: sfx itself when there is no prefix part,
 * else a copy in buf (BT_KEY_MAX bytes). */
static inline const uint8_t *bt_node_key(const bt_node *n, uint8_t *buf)
{
    if (n->cbPfx == 0)
        return n->sfx;
    memcpy(buf, n->pfx, n->cbPfx);
    if (n->cbSfx)
        memcpy(buf + n->cbPfx, n->sfx, n->cbSfx);
    return buf;
}
/* Copy the first cb bytes of the node's key (cb <= cbKey) to dst. */
static inline void bt_node_copy_key(const bt_node *n, uint8_t *dst, uint32_t cb)
{
    uint32_t c1 = cb < n->cbPfx ? cb : n->cbPfx;
    if (c1)
        memcpy(dst, n->pfx, c1);
    if (cb > c1)
        memcpy(dst + c1, n->sfx, cb - c1);
}

/* ---- page.c: slotted pages (pure functions on page bytes) ---------------- */

/* memcmp, then shorter-is-smaller. */
int      bt_keycmp(const void *a, uint32_t cba, const void *b, uint32_t cbb);
/* Validate a tree page's layout (P2, P3, node bounds; not key order).
 * 0 = sane, -1 = corrupt. */
int      bt_pg_check(const uint8_t *pg, uint32_t cbPage);
/* The same check, saying what is wrong: NULL when sane, else a constant
 * description, with *piNode the slot of the offending node (-1: the page). */
const char *bt_pg_problem(const uint8_t *pg, uint32_t cbPage, int32_t *piNode);
/* bt_pg_problem of a latched tree page, run only when the page's bytes may
 * not have been checked yet (see the invariant at the definition, btree.c);
 * debug builds check on every call. */
const char *bt_latched_problem(bf *pbf, uint32_t cbPage, int32_t *piNode);
/* Tell the environment's owner where corruption was found (bt_env.corrupt;
 * nothing when it has none).  reason: what is wrong (copied). */
void     bt_report_corrupt(const bt_env *env, uint32_t pgno, int32_t iNode, JET_ERR err, const char *reason);
void     bt_pg_node(const uint8_t *pg, uint32_t cbPage, uint32_t i, bt_node *pn);
/* Compare a node's key with a contiguous key (bt_keycmp order). */
int      bt_node_cmp(const bt_node *n, const void *key, uint32_t cbKey);
/* Compare two nodes' keys. */
int      bt_node_cmp2(const bt_node *a, const bt_node *b);
/* Length of the common prefix of two nodes' keys. */
uint32_t bt_node_lcp(const bt_node *a, const bt_node *b);
/* Bytes the page's used count grows by when (key, data) is inserted: the
 * node stored after the prefix, whole, or (re-encoding) after a shorter
 * prefix, whichever is smallest; may be 0 when re-encoding saves more than
 * the node costs.  *pfScratch: bt_pg_insert needs scratch. */
uint32_t bt_pg_insert_cost(const uint8_t *pg, uint32_t cbPage, const void *key, uint32_t cbKey, uint32_t cbData,
                           int *pfScratch);
/* Give an empty page the prefix pfx[0..cb) (cb <= bt_pfx_max). */
void     bt_pg_set_prefix(uint8_t *pg, uint32_t cbPage, const uint8_t *pfx, uint32_t cb);
/* Used bytes of the page's nodes re-encoded with prefix pfx[0..cb). */
uint32_t bt_pg_used_with(const uint8_t *pg, uint32_t cbPage, const uint8_t *pfx, uint32_t cb);
/* Re-encode the page with prefix pfx[0..cb) (any bytes, even the page's
 * own): nodes whose key starts with it store the rest, others their whole
 * key; compacts.  Requires bt_pg_used_with <= cap.  scratch: cbPage bytes. */
void     bt_pg_reprefix(uint8_t *pg, uint32_t cbPage, const uint8_t *pfx, uint32_t cb, uint8_t *scratch);
/* A leaf built by a split or merge: switch to the common prefix of its
 * first and last keys (at most bt_pfx_max) unless that makes it larger.
 * scratch: cbPage bytes. */
void     bt_pg_tighten(uint8_t *pg, uint32_t cbPage, uint8_t *scratch);
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
/* Insert at slot i.  Requires bt_pg_free >= bt_pg_insert_cost; scratch
 * (cbPage bytes) is required when bt_pg_insert_cost says so.  Without
 * scratch the prefix never changes (a key outside it is stored whole) and
 * the node must fit the gap (bt_pg_needs_compact(whole size) false). */
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

/* Log an after-image of the page as part of structure change smoid
 * (LSN_NIL for its first image) and stamp the page with its lsn (*plsn). */
JET_ERR  bt_log_image(const bt_env *env, bf *pbf, lsn_t smoid, lsn_t *plsn);
/* Log the page as part of structure change smoid like bt_log_image, but as
 * the bytes that differ from `before` (the page as the change latched it,
 * which is what redo finds there: D1 above) when that is smaller than the
 * image.  scratch: cbPage bytes.  The caller logs an image instead when the
 * page is below the image threshold (torn pages, T3 in btree.c). */
JET_ERR  bt_log_page(const bt_env *env, bf *pbf, const uint8_t *before, lsn_t smoid, uint8_t *scratch, lsn_t *plsn);
/* Log the end of structure change smoid, which logged cimages images. */
JET_ERR  bt_log_smoend(const bt_env *env, lsn_t smoid, uint32_t cimages, lsn_t *plsn);
/* Log a record operation on a latched leaf (before changing it); *plsn
 * receives the lsn to stamp with bt_stamp after the change. */
JET_ERR  bt_log_insert(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                       uint32_t cbData, uint32_t flags, lsn_t *plsn);
JET_ERR  bt_log_insertu(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                        uint32_t cbData, uint32_t flags, const void *pvClient, uint32_t cbClient, lsn_t *plsn);
JET_ERR  bt_log_delete(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, lsn_t *plsn);
JET_ERR  bt_log_replace(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                        uint32_t cbData, lsn_t *plsn);
JET_ERR  bt_log_setflags(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, uint32_t flags,
                         lsn_t *plsn);
void     bt_stamp(const bt_env *env, bf *pbf, lsn_t lsn);

/* ---- group.c: atomic structure changes (A1..A4) ----------------------------- */

/* Most pages one structure change may hold: the path (BT_MAX_DEPTH + 1 with
 * a push-down), a new page per level and two for the root, two siblings per
 * internal level, four leaves, the space page. */
#define BT_GRP_MAX (4 * BT_MAX_DEPTH + 16)

typedef struct bt_grp_ent {
    bf      *pbf;
    uint8_t *before;    /* the page as latched (logged databases: undo, A4) */
    uint8_t  changed;   /* logged as an image at the end */
    uint8_t  keep;      /* stays latched after the end (handed to the caller) */
} bt_grp_ent;

/* The pages of one structure change, each latched exclusively once. */
typedef struct bt_grp {
    const bt_env *env;
    int           cent;
    bt_grp_ent    ent[BT_GRP_MAX];
} bt_grp;

void     bt_grp_init(bt_grp *g, const bt_env *env);
/* Take over an exclusively latched page (copying it first when the database
 * is logged).  On failure the page is released. */
JET_ERR  bt_grp_hold(bt_grp *g, bf *pbf);
/* The held page with this pgno, or NULL. */
bf      *bt_grp_find(const bt_grp *g, uint32_t pgno);
/* Let go of a held page that was not changed. */
void     bt_grp_drop(bt_grp *g, bf *pbf);
/* The held page is (being) changed: it is logged at the end. */
void     bt_grp_change(bt_grp *g, bf *pbf);
/* Keep the held page latched after bt_grp_end succeeds (the caller releases). */
void     bt_grp_keep(bt_grp *g, bf *pbf);
/* Pages changed so far. */
int      bt_grp_changed(const bt_grp *g);
/* End the change.  err >= 0: log an image of every changed page, then
 * SMOEND, stamp them all with the SMOEND's lsn (A2).  err < 0, or an append
 * fails: give every changed page its bytes back (A4).  Then release every
 * page (but kept ones on success).  Returns err, or the append's error. */
JET_ERR  bt_grp_end(bt_grp *g, JET_ERR err);

/* ---- space.c --------------------------------------------------------------- */

/* The space page, latched exclusively and held by g (latched now unless g
 * already holds it; L6: after every tree page of the change). */
JET_ERR  bt_space_hold(bt_grp *g, uint32_t pgnoSpace, bf **ppbfSpace);
/* Allocate cpg pages for objid (each latched, held by g, zeroed, objid set),
 * changing the space page held by g.  Nothing is changed on failure (A4). */
JET_ERR  bt_space_alloc_grp(bt_grp *g, uint32_t pgnoSpace, uint32_t objid, uint32_t cpg, bf **rgpbf);
/* Turn the held page pbf into a free page on the list of the held space
 * page.  Cannot fail. */
void     bt_space_free_grp(bt_grp *g, bf *pbfSpace, bf *pbf);

/* ---- smo.c: structure changes (callers hold the root exclusively, L4) ----- */

/* One structure-changing operation in progress.  Every page it latched is in
 * g (path, siblings, neighbours, space page, new pages); path and the other
 * arrays only name them. */
typedef struct bt_smo {
    const bt_env *env;
    bt_grp   g;
    uint32_t pgnoSpace, pgnoRoot, objid, cbPage;
    int      depth;                         /* pages on the path: [0] root .. [depth-1] leaf */
    bf      *path[BT_MAX_DEPTH + 1];
    uint32_t islot[BT_MAX_DEPTH + 1];       /* index followed in path[k] (node index on the leaf) */
    bf      *sib[BT_MAX_DEPTH + 1][2];      /* deletes: left / right sibling of internal path[k] */
    uint8_t  wantSib[BT_MAX_DEPTH + 1];     /* path[k] may lose an entry and be underfull */
    bf      *pbfSpace;
    bf      *fresh[BT_MAX_DEPTH + 2];       /* pages allocated up front for splits */
    int      cfresh, ifresh;
    uint8_t *scratch;                       /* cbPage bytes */
    uint8_t *scratch2;                      /* cbPage bytes (key prefixes of pages being built) */
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
/* Online defragmentation: merge the leaf at the path's end with its right
 * sibling under the same parent when both fit in cbFill bytes (*pfMerged),
 * freeing the sibling.  Otherwise nothing changes and next (cbPage bytes)
 * receives the first key of the right neighbour leaf, where the walk goes
 * on (*pfEnd when there is none). */
JET_ERR  bt_smo_merge_right(bt_smo *s, uint32_t cbFill, int *pfMerged, uint8_t *next, uint32_t *pcbNext,
                            int *pfEnd);
/* Return unused new pages, log the change (A2) or undo it (err < 0, A4),
 * release every latch. */
JET_ERR  bt_smo_end(bt_smo *s, JET_ERR err);
/* Length of the shortest prefix of r's key that is > l's key (l < r): the
 * separator of two adjacent leaves. */
/* Let go of a page held by s->g that was not changed (*ppbf = NULL). */
void     bt_smo_let_go(bt_smo *s, bf **ppbf);
uint32_t bt_separator_len(const bt_node *l, const bt_node *r);

/* ---- redist.c: rebalancing with the siblings (policy R1..R6 there) ------- */

/* Insert nd at the leaf at the path's end (slot s->islot) when the leaf is
 * full, by sharing the nodes of the leaf and its siblings under the same
 * parent out again over those pages (when they have room) or over one more
 * page, replacing their separators (*pfDone = 1: inserted).  Otherwise
 * nothing changes (*pfDone = 0; pages it latched and did not use are let
 * go) and the caller splits. */
JET_ERR  bt_redist_insert(bt_smo *s, const bt_node *nd, int *pfDone);

#endif /* ESEPY_BTREE_INT_H */
