/*
 * btree.h -- B+trees over cache pages, the free-space manager of a database
 * file, and the physiological log records (and their redo) for both.
 *
 * Owns: the layout of data pages past the common page header (slotted pages
 * of nodes), tree shape (splits, merges, root push-down), the free-page list
 * of a database, and log record types LOG_REC_BT_FIRST..LOG_REC_BT_LAST.
 * Must not touch: records' meaning (keys and data are opaque bytes compared
 * with memcmp, shorter-is-smaller), transactions and versions (the isam layer
 * decides what a flag-deleted node means), files (only through the cache).
 *
 * Logging contract.  Every change to a page is described by a log record
 * appended (through bt_env.log) while the page is latched exclusively, and the
 * record's lsn is stamped on the page with cache_dirty().  Redo applies a
 * record to a page only if the page's lsn is below the record's lsn, so
 * replaying a record twice is harmless (idempotent replay).
 *
 * Structure changes (split, merge, root push-down / collapse, page allocation
 * and free) are atomic with respect to crash recovery.  Such a change logs
 * after-images of every page it changed (LOG_REC_BT_PAGEIMAGE, one per page,
 * used bytes only; LOG_REC_BT_PAGEDIFF, the changed bytes, for a page that
 * was dirty before the change, when smaller: D1 in btree_int.h), then one
 * LOG_REC_BT_SMOEND naming them, and stamps EVERY
 * one of those pages with the lsn of the SMOEND record, holding all of them
 * latched exclusively until then.  By the write-ahead rule (cache invariant
 * C1) no page of the change reaches the file before its SMOEND is durable, and
 * redo applies the images of a change only once it has read its SMOEND (see
 * bt_redo): recovery sees a structure change entirely or not at all.  A change
 * whose log append fails is undone in memory (its pages get their bytes back)
 * and leaves an incomplete group in the log that redo drops.  Structure
 * changes are never undone logically: only record operations are, by the
 * isam layer.
 *
 * When bt_env.log is NULL (recovery off / temporary database) pages are
 * changed with cache_dirty_unlogged().
 *
 * Page layout after PAGE_HEADER_SIZE (the btree's reserved header words):
 * nodes (key, data, flags) in a slotted page; the layout is documented in
 * btree_int.h next to the code that keeps it.
 *
 * Limits: a node (key + data + overhead) must fit a quarter of a page
 * (bt_node_max); longer values are the isam layer's business (long values).
 *
 * Cursors.  A cursor remembers its position by key.  When the page it sits on
 * changed since it looked (page lsn / modification count differ), the next
 * move re-seeks by that key first, so cursors survive concurrent splits,
 * merges, inserts and deletes by other sessions.
 */
#ifndef ESEPY_BTREE_H
#define ESEPY_BTREE_H

#include <stdatomic.h>
#include <stdint.h>
#include "esent.h"
#include "lsn.h"
#include "cache.h"
#include "log.h"

/* Log record types of this layer. */
#define LOG_REC_BT_FIRST      32
#define LOG_REC_BT_PAGEIMAGE  32 /* dbid, pgno, smoid, after-image of the page */
#define LOG_REC_BT_INSERT     33 /* dbid, pgno, flags, key, data: insert a node */
#define LOG_REC_BT_DELETE     34 /* dbid, pgno, key: remove a node */
#define LOG_REC_BT_REPLACE    35 /* dbid, pgno, key, new data */
#define LOG_REC_BT_SETFLAGS   36 /* dbid, pgno, key, new node flags */
#define LOG_REC_BT_SMOEND     37 /* dbid, number of images, smoid: a structure change is complete */
#define LOG_REC_BT_PAGEDIFF   38 /* dbid, pgno, smoid, changed bytes of the page (an image's stand-in) */
#define LOG_REC_BT_INSERTU    39 /* an INSERT carrying the caller's undo bytes (bt_insert_undo) */
#define LOG_REC_BT_LAST       47

/* Node flags (stored with each leaf node). */
#define BT_NODE_DELETED  0x1  /* flag-deleted: kept for versioning, invisible once cleaned */

/* Append hints of one database (H1 in btree.c): slot pgnoRoot % BT_HINTS
 * holds pgnoRoot << 32 | the pgno of the leaf an insert last found to be
 * that tree's rightmost leaf.  Hints only: any value is safe (btree.c
 * verifies a hint under the root's latch before using it); zero = none.
 * The owner keeps the storage; every bt_env of the database points to it. */
#define BT_HINTS 16
typedef struct bt_hints {
    _Atomic uint64_t slot[BT_HINTS];
} bt_hints;

/* How the btree reaches the rest of the engine for one database. */
typedef struct bt_env {
    cache    *pc;
    uint32_t  dbid;
    /* Append a log record; NULL = unlogged database.  Return its lsn. */
    JET_ERR (*log)(void *logctx, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn);
    void     *logctx;
    uint32_t  cpgExtend;   /* pages to add when the file is full (JET_paramDbExtensionSize) */
    /* Where a tree read found corruption (page, node slot or -1, the error
     * it is about to answer -- JET_errDatabaseCorrupted, JET_errBadPageLink
     * or JET_errReadVerifyFailure --, what is wrong); NULL = nobody asks.  Called with page
     * latches (and possibly inst.lock) held: it must not call the btree or
     * wait for anything but its own short locks. */
    void    (*corrupt)(void *ctx, uint32_t dbid, uint32_t pgno, int32_t iNode, JET_ERR err, const char *reason);
    void     *corruptctx;
    /* Structure changes may give pages a key prefix (btree_int.h X1, X2):
     * the file has DB_INCOMPAT_KEY_PREFIX.  0: pages keep the format-1
     * layout (a prefix-less page never gets one from record operations). */
    int       fKeyPrefix;
    bt_hints *hints;       /* append hints of inserts (H1 in btree.c); NULL = none */
} bt_env;

/* ---- database space ------------------------------------------------------ */

/* Lay out a new, empty database file's first pages (space page at pgno 1)
 * and return the space page number.  The file must have been registered with
 * the cache.  Logged (one structure change). */
JET_ERR bt_space_init(bt_env *env, uint32_t *ppgnoSpace);
/* Allocate one page (from the free list, else by extending the file by
 * cpgExtend pages).  The page is returned latched exclusively, zeroed and
 * owned by objid; the allocation (space page and that page) is logged as one
 * structure change, what the caller then writes on the page is the caller's
 * to log. */
JET_ERR bt_space_alloc(bt_env *env, uint32_t pgnoSpace, uint32_t objid, bf **ppbf);
/* Return a page to the free list (one structure change). */
JET_ERR bt_space_free(bt_env *env, uint32_t pgnoSpace, uint32_t pgno);
/* Shrink the space (JetResizeDatabase): the owned pages at the end of the
 * file that are free or were never used leave it, last page first, down to
 * cpgMin at most -- one structure change per free page (unlinked from the
 * list), one for the never-used ones; it stops at the first page in use (no
 * page is moved).  *pcpgOwned: the pages owned after.  The file keeps its
 * size: bt_space_truncate cuts it, once the caller made sure that no log
 * record the next recovery replays names a page beyond the owned ones. */
JET_ERR bt_space_shrink(bt_env *env, uint32_t pgnoSpace, uint32_t cpgMin, uint32_t *pcpgOwned);
/* Cut the file to the pages the space owns (holding the space page, so no
 * allocation adopts them meanwhile); *pcpgFile: the file's data pages after. */
JET_ERR bt_space_truncate(bt_env *env, uint32_t pgnoSpace, uint32_t *pcpgFile);
/* Free pages on the list and pages owned by the file. */
JET_ERR bt_space_stats(bt_env *env, uint32_t pgnoSpace, uint32_t *pcpgFree, uint32_t *pcpgOwned);
/* The high-water mark: every page 1..*phwm has been written at least once
 * (allocated, formatted); pages above it were never used. */
JET_ERR bt_space_hwm(const bt_env *env, uint32_t pgnoSpace, uint32_t *phwm);

/* ---- inspection: a page image as this layer reads it (view.c) ------------- */

/* What a data page's bytes say, decoded without a cache or an environment,
 * for read-only inspection of files (esepy_inspect.h).  Pure: no I/O. */
typedef struct bt_page_view {
    uint32_t objid, flags, prev, next;
    int      fLeaf, fInternal, fRoot, fSpace, fFree;
    uint32_t cslot, ibHeap, cbFrag, level;
    int      fLayoutOk;   /* tree pages: bt_pg_check holds (P2, P3, flags agree with the level) */
    uint32_t cbUsed;      /* tree pages: heap bytes in live nodes plus the slot array */
    /* space page (fSpace): */
    uint32_t cpgOwned, pgnoHwm, pgnoFree, cpgFree;
    int      fSpaceMagic;
} bt_page_view;
void    bt_page_view_of(const uint8_t *pg, uint32_t cbPage, bt_page_view *pview);
/* Node i of a tree page whose view has fLayoutOk: pointers into pg; its key
 * is the prefix part (*ppbPrefix, *pcbPrefix: the page's key prefix, or
 * empty) followed by *ppbKey.
 * JET_errDatabaseCorrupted when the layout is broken, JET_errInvalidParameter
 * when i >= cslot. */
JET_ERR bt_page_view_node(const uint8_t *pg, uint32_t cbPage, uint32_t i, const uint8_t **ppbPrefix,
                          uint32_t *pcbPrefix, const uint8_t **ppbKey, uint32_t *pcbKey, const uint8_t **ppbData,
                          uint32_t *pcbData, uint32_t *pflags);

/* What a log record of this layer (LOG_REC_BT_*) is about: 1 with *pdbid and
 * *ppgno (0 for SMOEND, which names no page) filled, 0 when type is not this
 * layer's or the payload is too short for it. */
int     bt_log_describe(uint8_t type, const uint8_t *pv, uint32_t cb, uint32_t *pdbid, uint32_t *ppgno);

/* ---- trees ---------------------------------------------------------------- */

/* Create an empty tree; its root page never changes (root splits push the
 * contents down into new children). */
JET_ERR bt_create(bt_env *env, uint32_t pgnoSpace, uint32_t objid, uint32_t *ppgnoRoot);
/* Free every page of a tree, one page (one structure change) at a time: a
 * crash in between leaves a tree that is half freed, so callers must make
 * the tree unreachable first. */
JET_ERR bt_drop(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot);

/* Creating a tree on behalf of something that may be undone (a transaction):
 *   C1. `announce(ctx, pgnoRoot)` runs after the root page is chosen and
 *       before the structure change is logged; it logs whatever names the
 *       tree for undo.  The log is sequential, so every creation that reached
 *       the log (and so the file) was announced before it: undo can give the
 *       pages back even when the log ends before the tree was linked anywhere.
 *       A failing announce fails the creation (nothing changes).
 *   C2. bt_drop_created(pgnoRoot, objid) undoes such a creation: it frees the
 *       tree rooted at pgnoRoot if that page is still the root of objid, and
 *       does nothing when the creation never reached the file or was dropped
 *       already.  It may run again after a crash cut it: children already
 *       freed (or reused by another tree, whose objid differs) are skipped,
 *       and the root is freed last. */
typedef JET_ERR (*bt_announce_fn)(void *ctx, uint32_t pgnoRoot);
JET_ERR bt_create_announced(bt_env *env, uint32_t pgnoSpace, uint32_t objid, bt_announce_fn announce, void *ctx,
                            uint32_t *ppgnoRoot);
JET_ERR bt_drop_created(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, uint32_t objid);

/* Single-node operations by key (each latches, logs and releases).
 * bt_insert: JET_errKeyDuplicate if the key exists (flag-deleted or not);
 *   JET_errRecordTooBig if the node exceeds bt_node_max.
 * bt_replace / bt_delete / bt_set_flags: JET_errRecordNotFound if absent. */
JET_ERR bt_insert(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                  const void *data, uint32_t cbData, uint32_t nodeflags);
/* bt_insert, with the caller's undo information for it logged no later than
 * the insert (log volume, issue 20): when the insert is a record operation
 * logged as such, in the same record (LOG_REC_BT_INSERTU carrying the
 * cbClient opaque bytes pvClient: one record instead of two); otherwise
 * (structure change, torn-page image: T3) as the caller's own record
 * (type, parts) appended just before the change.  pu->lsn receives the lsn
 * of whichever record carries the undo, LSN_NIL when none was logged (an
 * error before anything was logged); a failure after it (pu->lsn set) is
 * the caller's to neutralise, as with a separate record.  cbClient <= 255. */
typedef struct bt_undo {
    uint8_t         type;
    const log_part *parts;
    uint32_t        cpart;
    const void     *pvClient;
    uint32_t        cbClient;
    lsn_t           lsn;      /* out */
} bt_undo;
JET_ERR bt_insert_undo(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                       const void *data, uint32_t cbData, uint32_t nodeflags, bt_undo *pu);
/* The caller's bytes of a LOG_REC_BT_INSERTU payload and the node key it
 * inserts; JET_errLogCorrupted if malformed. */
JET_ERR bt_insertu_parts(const uint8_t *pv, uint32_t cb, const uint8_t **ppvClient, uint32_t *pcbClient,
                         const uint8_t **pkey, uint32_t *pcbKey);
JET_ERR bt_replace(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                   const void *data, uint32_t cbData);
JET_ERR bt_delete(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey);
JET_ERR bt_set_flags(bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, uint32_t nodeflags);
/* 1 when the append hint proves, at the time of the call, that key is above
 * every key of the tree (so not in it); 0 = unknown (look it up).  Cheap:
 * the root and the rightmost leaf, no descent (H1 in btree.c). */
int     bt_append_absent(bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey);
/* Copy the node with `key` into caller buffers.  *pcbData receives the full
 * length; JET_wrnBufferTruncated when cbDataMax is smaller (the copied prefix
 * is valid).  JET_errRecordNotFound if absent. */
JET_ERR bt_lookup(bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, void *data,
                  uint32_t cbDataMax, uint32_t *pcbData, uint32_t *pnodeflags);

/* Online defragmentation, one step (defrag.c): merge the leaf that holds
 * `key` (the first leaf for cbKey 0) with its right sibling under the same
 * parent when both fit in seven eighths of a page -- one structure change,
 * logged as splits are, the emptied sibling freed to the free list in it;
 * the nodes' keys, data and flags are unchanged, so versions (kept by key)
 * and cursors (re-seek by key) are unaffected.  *pfMerged: it happened (call
 * again with the same key to merge further).  Otherwise next (cbPage bytes)
 * receives the first key of the next leaf, where the walk goes on, or
 * *pfEnd is set at the tree's last leaf. */
JET_ERR bt_defrag_step(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                       uint8_t *next, uint32_t *pcbNext, int *pfMerged, int *pfEnd);

/* Bulk load (bulk.c): fill an EMPTY tree from nodes given in strictly
 * increasing key order, bottom up -- leaves filled left to right to pctFill
 * percent of a page (20..100; anything else means 100), internal levels
 * built at the right edge.  Logged as structure changes of up to BULK_BATCH
 * leaves each (page images, no record per node), fewer when a change would
 * latch more than cpgLatchMax pages (0: no such bound; K3 in bulk.c: the
 * caller passes a share of the cache); at every change's end the tree is
 * valid and holds a prefix of the nodes, every page reachable from the root
 * (K1 in bulk.c), so dropping the tree frees everything.  The caller keeps
 * the tree unreachable by others until bt_bulk_end.
 * bt_bulk_add: JET_errKeyDuplicate for a key equal to the previous one,
 *   JET_errInvalidParameter for a smaller one, JET_errRecordTooBig.
 * bt_bulk_end(err >= 0) places what is left and frees the loader; with
 *   err < 0 it only frees (the nodes placed so far stay: drop the tree). */
typedef struct bt_bulk bt_bulk;
JET_ERR bt_bulk_begin(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, uint32_t pctFill, uint32_t cpgLatchMax,
                      bt_bulk **ppb);
JET_ERR bt_bulk_add(bt_bulk *pb, const void *key, uint32_t cbKey, const void *data, uint32_t cbData,
                    uint32_t nodeflags);
JET_ERR bt_bulk_end(bt_bulk *pb, JET_ERR err);

/* Largest key + data a node may hold on this page size. */
uint32_t bt_node_max(uint32_t cbPage);

/* ---- cursors ---------------------------------------------------------------- */

typedef struct bt_cursor bt_cursor;

#define BT_SEEK_EQ 1
#define BT_SEEK_GE 2  /* first node >= key */
#define BT_SEEK_GT 3
#define BT_SEEK_LE 4  /* last node <= key */
#define BT_SEEK_LT 5

JET_ERR bt_cursor_open(bt_env *env, uint32_t pgnoRoot, bt_cursor **ppcur);
void    bt_cursor_close(bt_cursor *pcur);
/* Position on the first / last node.  JET_errRecordNotFound if the tree is empty. */
JET_ERR bt_first(bt_cursor *pcur);
JET_ERR bt_last(bt_cursor *pcur);
/* Position by key; JET_errRecordNotFound when no node qualifies (the cursor
 * is then unpositioned). */
JET_ERR bt_seek(bt_cursor *pcur, const void *key, uint32_t cbKey, int mode);
/* Move; JET_errNoCurrentRecord past either end (cursor unpositioned). */
JET_ERR bt_next(bt_cursor *pcur);
JET_ERR bt_prev(bt_cursor *pcur);
/* The current node, copied into cursor-owned memory valid until the next move.
 * JET_errNoCurrentRecord when unpositioned. */
JET_ERR bt_current(bt_cursor *pcur, const void **ppkey, uint32_t *pcbKey, const void **ppdata,
                   uint32_t *pcbData, uint32_t *pnodeflags);

/* ---- redo ----------------------------------------------------------------- */

/* Replay state: the page images of structure changes whose SMOEND has not
 * been read yet. */
typedef struct bt_redo_ctx bt_redo_ctx;

JET_ERR bt_redo_begin(bt_redo_ctx **ppctx);
/* Replay one LOG_REC_BT_* record at `lsn` (records in log order; dbid from
 * the record, which must be registered with pc).
 *   Record operations are applied to their page at once if the page's lsn
 *   is older than `lsn`.
 *   LOG_REC_BT_PAGEIMAGE and LOG_REC_BT_PAGEDIFF records are copied and
 *   kept, per structure change, until that change's LOG_REC_BT_SMOEND: then
 *   each is applied to its page if the page's lsn is older than the SMOEND's
 *   (a diff only to the bytes its change started from, else
 *   JET_errDatabaseCorrupted; a diff whose page is torn waits like a record
 *   operation, below), and the page is stamped with the SMOEND's lsn.  Records of other changes and of other pages may
 *   come in between (other threads, other trees, other databases).
 *   A record for a page that a pending change holds proves that change died
 *   without its SMOEND (a crash, or a failed append whose change was undone
 *   in memory): the pending change is dropped, then the record applied.
 * Errors: JET_errLogCorrupted (malformed record), JET_errLogFileCorrupt (a
 * SMOEND that does not match the images read, more pending changes or pages
 * than any structure change holds), cache errors.  A record for a dbid the
 * caller skips is the caller's business (check bt_redo_dbid first); skip every
 * record of that dbid, so that a change is skipped entirely. */
JET_ERR bt_redo(bt_redo_ctx *ctx, cache *pc, uint8_t type, const uint8_t *pv, uint32_t cb, lsn_t lsn);
/* Torn pages (T3 in btree.c): a record operation whose page fails its
 * checksum is not an error at once: the page waits for an image of it later
 * in the log, which replaces it whole.  bt_redo_torn: how many pages of dbid
 * still wait (*ppgno: one of them); after the last record they are damage
 * the log cannot repair (JET_errReadVerifyFailure). */
uint32_t bt_redo_torn(const bt_redo_ctx *ctx, uint32_t dbid, uint32_t *ppgno);
/* Structure changes read but not complete (their images are not applied). */
uint32_t bt_redo_pending(const bt_redo_ctx *ctx);
/* End of replay: drop the incomplete changes (the log ends inside them) and
 * free the context (NULL is ignored). */
void    bt_redo_end(bt_redo_ctx *ctx);
/* The dbid a LOG_REC_BT_* record is about. */
uint32_t bt_redo_dbid(const uint8_t *pv, uint32_t cb);

/* ---- checking -------------------------------------------------------------- */

/* Walk a tree and verify its invariants (key order, sibling links, parent
 * separators, page ownership).  JET_errBadPageLink / JET_errDatabaseCorrupted
 * on failure; *pcnodes receives the number of leaf nodes. */
JET_ERR bt_check(bt_env *env, uint32_t pgnoRoot, uint64_t *pcnodes);
/* The pages of a tree, its root included (reads the internal pages and one
 * leaf below each bottom internal page, under the root's shared latch). */
JET_ERR bt_count_pages(bt_env *env, uint32_t pgnoRoot, uint64_t *pcpg);

#endif /* ESEPY_BTREE_H */
