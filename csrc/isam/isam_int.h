/*
 * isam_int.h -- private structures of the ISAM layer and its log records.
 *
 * Log records of this layer (all little-endian, payload after the log
 * layer's 16-byte record header):
 *
 *   LOG_REC_ISAM_COMMIT    u64 trxid, i64 commit time (us since 1970, UTC)
 *                          [free list]  (I9)
 *   LOG_REC_ISAM_ROLLBACK  u64 trxid                      (rollback finished)
 *                          [u64 0, free list]  (I9)
 *       free list: u32 count, count x {u32 dbid, u32 pgnoRoot, u32 objid}:
 *       the trees this end of the transaction makes unreachable (a committed
 *       table or index delete, a rolled-back creation), to be dropped.
 *   LOG_REC_ISAM_TREEFREED u32 dbid, u32 pgnoRoot, u32 objid
 *       A tree named in a free list was dropped: recovery need not drop it
 *       (I9).
 *   LOG_REC_ISAM_DBINCOMPAT u32 dbid, u32 bit: the header got DB_INCOMPAT_* bit
 *       (db_set_incompat, before the first page with the encoding); redo
 *       sets it in the header recovery or restore writes
 *   LOG_REC_ISAM_UNDO      u64 trxid, u32 dbid, u32 pgnoRoot, u8 op, u8 flagsBefore,
 *                          u16 cbKey, u32 cbBefore, key, before-image
 *       Written BEFORE the btree change it describes.  op UNDO_INSERTED: the
 *       node did not exist (undo = delete it); op UNDO_CHANGED: the node
 *       existed with (before-image, flagsBefore) (undo = put those back);
 *       op UNDO_DELTA (escrow update): the "before-image" is a delta payload
 *       (VER_DELTA_SIZE bytes, ver_delta_encode): the column, the signed
 *       delta, the column's default and its value after the change; undo =
 *       subtract the delta from the node's value at undo time (logical undo,
 *       leaving other transactions' deltas in place).
 *       op UNDO_TREE: the transaction created the tree rooted at pgnoRoot,
 *       key = its u32 objid, no before-image; undo = free the tree's pages
 *       (I8).
 *   LOG_REC_ISAM_CLR       u64 trxid, u64 lsnUndone       (that UNDO was compensated)
 *                          [u64 value]  only for an UNDO_DELTA: written BEFORE
 *       the compensating btree change, with the column's value after it; the
 *       compensation counts once its DELTADONE follows (I6).
 *   LOG_REC_ISAM_DELTADONE u64 trxid, u64 lsn, u32 ok
 *       The btree change announced by the UNDO_DELTA or delta CLR at `lsn` is
 *       complete (ok = 1) or did not happen (ok = 0).
 *   LOG_REC_ISAM_DBCREATE  u32 dbid, u32 cbPage, JET_SIGNATURE signDb, u16 cbPath, path
 *   LOG_REC_ISAM_DBATTACH  u32 dbid, u32 cbPage, JET_SIGNATURE signDb, u16 cbPath, path
 *   LOG_REC_ISAM_DBDETACH  u32 dbid
 *   LOG_REC_ISAM_DBROOTS   u32 dbid, u32 pgnoSpace, u32 pgnoCatalog  (after create)
 *
 * Secondary indexes (index.c) and their DDL add no record types: index trees
 * and catalog 'I' rows change through the same UNDO + btree records as every
 * record tree, so redo and undo (recovery.c) cover them unchanged.  The same
 * holds for long values (lv.c: long-value tree nodes), column DDL (catalog
 * 'C' rows rewritten, tombstones), table renames ('T' rows moved).  Escrow
 * updates change a record by a btree replace (redo is physiological as for
 * every record) but are undone logically (UNDO_DELTA above, I6 below).
 *
 * Invariants:
 *   I1. Every record-level change made by a transaction is preceded in the log
 *       by its UNDO record, so a transaction that has no COMMIT/ROLLBACK record
 *       at the end of the log can be undone from the log alone.  (Escrow
 *       deltas with JET_bitEscrowNoRollback are the one exception: they have
 *       no UNDO record and no version, and nothing takes them back.)
 *   I2. A COMMIT record is durable before JetCommitTransaction returns, unless
 *       JET_bitCommitLazyFlush was given.
 *   I3. Undo (runtime rollback or recovery) logs a CLR after each compensated
 *       UNDO, so undoing is never repeated after a second crash.
 *   I5. The checkpoint is never above the first UNDO record of an active
 *       transaction, so replay from the checkpoint (crash recovery) or from a
 *       backup's first generation (restore) sees every UNDO it may need.
 *       Exception (index.c, invariant B1): the entries an index build writes
 *       into the index's new tree are logged for redo only (no UNDO, no
 *       version): the tree is unreachable until the transaction that inserted
 *       its catalog row commits, and undoing that row makes it unreachable.
 *   I4. The version store holds, for every node changed by a transaction that
 *       is active or committed after the oldest active snapshot, the node's
 *       prior state (V1: for a flag-delete, its flags alone; V3: nodes no
 *       other transaction can reach have no version); a node visible to no
 *       snapshot in its deleted state is removed from its tree (cleanup).
 *       Escrow delta versions are versions like any other here (counted in
 *       cbVer, freed by cleanup).
 *   I6. An escrow delta (or its compensation) is applied while holding
 *       ckpt shared and inst.lock from its UNDO_DELTA (CLR) record through
 *       the btree replace to its DELTADONE record, and no other change of
 *       that node can happen meanwhile.  So after redo, a delta whose
 *       DELTADONE is missing was cut by the crash in that window and the
 *       node's value says whether the change is in the tree (value ==
 *       the announced value) or not: logical undo is applied exactly once.
 *   I8. A tree a transaction creates (table, long-value tree, index) is
 *       announced by an UNDO_TREE record logged before the structure change
 *       that allocates its root (ver_create_tree, btree.h C1), so recovery
 *       can free the pages of a creation whose transaction never finished
 *       even when the log ends before the catalog row that names the tree
 *       (crashfs-2).  Runtime keeps no version for it: a rollback's drop is
 *       reclaim.c's business, and its ROLLBACK record retires the UNDO.  Its
 *       undo (bt_drop_created, btree.h C2) needs no CLR to be repeatable: it
 *       frees the tree only while pgnoRoot is still that objid's root.
 *   I9. A tree that a committed delete (or a rolled-back creation) made
 *       unreachable is named in the free list of the COMMIT (ROLLBACK)
 *       record that ends its transaction, and reclaim.c drops it only after
 *       that record is in the log; once dropped, a TREEFREED record says so.
 *       Until then the pending drop keeps the checkpoint at or before that
 *       record (isam_oldest_trx_lsn), so a crash between the commit and the
 *       end of the drop leaves the free list in the replay: recovery drops
 *       every tree named in a replayed free list and not TREEFREED since,
 *       with bt_drop_created (btree.h C2: only while pgnoRoot is still the
 *       root of that objid, and repeatable after a drop a crash cut), then
 *       logs its TREEFREED.  A DBDETACH cancels the database's pending
 *       drops (reclaim.c R5).  A creation rolled back in a nested level is not
 *       named anywhere (its drop is decided before the transaction ends):
 *       a crash before that drop still leaves its pages allocated.
 *   I7. A version is "pending" from claim() until its op and before-image
 *       are filled; readers skip pending versions (the tree is not changed
 *       before the version is published, under inst.lock).  Delta versions
 *       are linked already filled, under inst.lock, in the same critical
 *       section that changes the tree.
 *   V1. A flag-delete changes no byte of its node, and the node cannot
 *       change while the delete's version is in its chain other than by a
 *       newer version (which keeps its own image).  So its version keeps no
 *       before-image (fSameData): the state before it is the state after it
 *       with flags flagsBefore; its undo sets the flags back.  The UNDO
 *       record in the log still carries the image (recovery is unchanged).
 *   V2. A cascade delete (rec_op_delete_cascade, a long value's root)
 *       changes only the owner node; the nodes keyed owner||... stay as they
 *       are while any snapshot may still see the owner, and cleanup removes
 *       them, then the owner, once the delete is visible to every snapshot.
 *   V3. rec_op_insert_private inserts a node that no other transaction can
 *       reach before this one commits (the caller's guarantee, lv.c L4): no
 *       version, no write claim; a "run" entry in the transaction's list
 *       (never in a chain) keeps the lsn of each node's UNDO record (8 bytes
 *       a node), so rollback deletes the nodes newest first, with a CLR each
 *       (I3), and commit drops the run.  The UNDO records are written as for
 *       any insert (I1), so recovery needs nothing new.
 *   V4. A reader copies a node without inst.lock, then walks its chain under
 *       it.  Only a rollback can take a version away while the node's state
 *       it describes may still be in a reader's copy (cleanup only drops
 *       versions every snapshot sees as committed).  Every rollback that
 *       takes a version away bumps inst.undoEpoch (under the lock, after the
 *       tree was restored); every rec_visible stores the epoch it saw in
 *       psess->undoSeen when it ends, and callers always copy a node after
 *       their previous rec_visible returned.  rec_visible re-reads the node
 *       under the lock when the epoch moved since (a rollback may have come
 *       between the copy and the lock): one compare on the read path, one
 *       extra lookup per session after a rollback.  rec_latest (DDL) always
 *       re-reads.
 *   V5. inst.visGen (atomic) is incremented after every tree change ver.c
 *       makes (record operations, escrow deltas, their undo, cleanup's
 *       removals), after every commit has moved inst.ts, and when versions
 *       are forgotten (ver_forget_since).  Everything rec_visible's answer
 *       depends on -- the node's bytes and flags, its version chain, the
 *       commit timestamps, inst.ts -- changes only in those places, so for
 *       one session (the same transaction, trxid, or none) the visible image
 *       of a record computed from a node copied after visGen was loaded as g
 *       is still the visible image as long as visGen == g.  A cursor keeps the
 *       current record's image under that rule (cursor.c, isam_cur_record):
 *       JetRetrieveColumn(s) read it instead of looking the record up again
 *       by its bookmark.
 *   V6. inst.cChained counts the versions linked into node chains (full and
 *       delta, pending or not; runs, V3, are in none), under inst.lock.
 *       While it is 0 no node has a version, so every node's stored state
 *       is what every snapshot sees (a version only leaves its chain by
 *       cleanup, once every snapshot sees it as committed, or by a rollback,
 *       which bumps undoEpoch: V4).  rec_visible then skips the chain
 *       lookup (the hash of the key) and the delta re-read (I6: there is no
 *       delta to subtract): cChained == 0 and undoSeen == undoEpoch make
 *       the caller's copy the visible image, present unless flag-deleted
 *       (issue 20: the lookup was a tenth of a scan's cost).  Both are
 *       atomics changed under the lock and read there WITHOUT it, cChained
 *       first: a rollback bumps undoEpoch before it unchains the version
 *       (both under the lock), so a reader whose load of cChained sees the
 *       decrement to 0 also sees the new epoch and takes the locked path;
 *       a link (cChained++) precedes the tree change it describes (I7; an
 *       escrow delta's too: E1 in rec_op_escrow), so
 *       a copy that shows the change was made after the increment and the
 *       later load sees it (or the cleanup that followed commit).  Equal
 *       epochs read after cChained mean the epoch was the same when
 *       cChained was read (it only grows): the pair is what a locked read
 *       at that instant would have seen.
 *   V7. rec_op_insert_fresh is called only for a key that is not present
 *       (not flag-deleted) in its tree: a non-unique secondary index's
 *       entry, whose key ends with the record's bookmark, made for a record
 *       this transaction has just inserted or changed (a present entry
 *       would mean a present record with that bookmark and that key: the
 *       record's own insert would have failed, or the entry is one of the
 *       old keys idx_record_changed keeps).  Its version is published as
 *       UNDO_INSERTED before the tree is read (I7's step 2 without the
 *       lookup); the insert's descent is the only one.  If it meets a
 *       flag-deleted node (nothing changed, nothing logged) the version is
 *       filled again the exact way, as UNDO_CHANGED with flagsBefore
 *       DELETED: a reader in between saw "absent before this transaction"
 *       either way, so no snapshot reads another state.  Saves one
 *       descent per index entry inserted (index3: 8 -> 6 per row).
 *
 * Lock order: ckpt (CKPT_ENTER, shared) -> inst.lock -> page latches.  No
 * code takes inst.lock or ckpt while holding a page latch (the btree and
 * cache layers never call back into this layer except to append or flush
 * the log, which takes neither); debug builds check it (lockorder.h
 * LOCK_RANK_LATCH, cache.c L5), so a callback run under latches (such as
 * ver_create_tree's announcement) must not take inst.lock either.
 */
#ifndef ESEPY_ISAM_INT_H
#define ESEPY_ISAM_INT_H

#include <stdatomic.h>

#include <stdint.h>
#include <string.h>

#include "isam.h"
#include "btree.h"
#include "cache.h"
#include "le.h"
#include "log.h"
#include "os.h"
#include "os_testcase.h"
#include "record.h"

#define LOG_REC_ISAM_COMMIT   16
#define LOG_REC_ISAM_ROLLBACK 17
#define LOG_REC_ISAM_UNDO     18
#define LOG_REC_ISAM_CLR      19
#define LOG_REC_ISAM_DBCREATE 20
#define LOG_REC_ISAM_DBATTACH 21
#define LOG_REC_ISAM_DBDETACH 22
#define LOG_REC_ISAM_DBROOTS  23
#define LOG_REC_ISAM_DELTADONE 24
#define LOG_REC_ISAM_TREEFREED 25
#define LOG_REC_ISAM_DBINCOMPAT 26 /* u32 dbid, u32 DB_INCOMPAT_* bit set in the header (db_set_incompat) */

#define UNDO_INSERTED 1
#define UNDO_CHANGED  2
#define UNDO_DELTA    3   /* escrow update: logical undo (subtract the delta) */
#define UNDO_TREE     4   /* a tree created (I8): pgnoRoot its root, key its u32 objid */

/* An UNDO payload: 0 u64 trxid, 8 u32 dbid, 12 u32 pgnoRoot, 16 u8 op,
 * 17 u8 flagsBefore, 18 u16 cbKey, 20 u32 cbBefore, 24 key, before image.
 * An UNDO_INSERTED undo may instead ride in the btree's insert record
 * (LOG_REC_BT_INSERTU, ver.c) as these client bytes: 0 u64 trxid, 8 u32
 * pgnoRoot, 12 u8 op, 13 u8 flagsBefore; dbid and key are the record's, and
 * recovery.c rebuilds the UNDO payload from them (cbBefore 0). */
#define UNDO_CLIENT_SIZE 14
static inline void undo_client(uint64_t trxid, uint32_t pgnoRoot, uint8_t op, uint8_t flagsBefore, uint8_t *out)
{
    le_put64(out, trxid);
    le_put32(out + 8, pgnoRoot);
    out[12] = op;
    out[13] = flagsBefore;
}

/* Database ids: user databases 1..6; ISAM_TEMP_DBID (7) is reserved for the
 * instance's temporary database (temp.c): unlogged (bt_env.log == NULL,
 * isam_db.logged == 0), never attached in the log, never in a backup, a
 * checkpoint or a recovery, created on the first temporary table and deleted
 * at isam_term (a stale file is removed at isam_init). */
#define ISAM_MAX_DBID      7
#define ISAM_TEMP_DBID     ISAM_MAX_DBID
#define ISAM_MAX_USER_DBS  6
#define ISAM_TRX_LEVELS    7

/* ---- catalog (catalog.c) ---------------------------------------------------- */

/* Catalog keys: 'T' + name (case-folded) -> table row;
 *               'C' + objid (u32 BE) + columnid (u32 BE) -> column row;
 *               'I' + objid (u32 BE) + name (case-folded) -> index row. */
typedef struct col_info {
    rec_column rc;              /* id, type, size, grbit, cp */
    char       name[JET_cbNameMost + 1];
    uint32_t   cbDefault;
    uint8_t   *pbDefault;       /* owned */
    /* JET_bitColumnUserDefinedDefault (table.c UD1): owned, "name\0", u32 LE
     * cbUserData, the user data, then the dependent-column list (rest); no
     * pbDefault then.  pfnUdd: the resolved callback, NULL until first use. */
    uint32_t   cbUdd;
    uint8_t   *pbUdd;
    void      *pfnUdd;
} col_info;

typedef struct key_seg {
    JET_COLUMNID columnid;
    uint32_t     segflags;      /* KEY_SEG_* */
} key_seg;

/* A secondary index (catalog row 'I' objid name).  Entry format in its own
 * tree (see index.c): unique indexes key = normalized key, data = primary
 * bookmark; non-unique key = normalized key + primary bookmark, data = its length. */
typedef struct idx_def {
    char       name[JET_cbNameMost + 1];
    uint32_t   objid;           /* the index tree's object id */
    uint32_t   pgnoRoot;
    JET_GRBIT  grbit;           /* JET_bitIndex* as created (Unique, IgnoreNull, ...) */
    uint32_t   cbKeyMost;       /* normalized key bytes kept; longer keys are truncated */
    uint32_t   cseg;
    key_seg    segs[JET_ccolKeyMost];
    /* Conditional columns (JET_INDEXCREATE rgconditionalcolumn): a record is in
     * the index only if each conds[i] column is null (segflags
     * KEY_COND_MUSTBENULL) or non-null (0) in it (index.c entry_keys). */
    uint32_t   ccond;
    key_seg    conds[JET_ccolKeyMost];
    int        fNavigable;      /* its catalog row is visible to the loader's snapshot (S2 below) */
} idx_def;
#define KEY_COND_MUSTBENULL 0x1u

typedef struct table_def {
    uint32_t   objid;
    uint32_t   pgnoRoot;        /* primary (record) tree */
    char       name[JET_cbNameMost + 1];
    uint32_t   ccol;
    col_info  *cols;            /* owned, ccol entries */
    /* primary index; cseg == 0: sequential 8-byte keys (ESE's DBK) */
    char       idxName[JET_cbNameMost + 1];
    JET_GRBIT  idxGrbit;
    uint32_t   cseg;
    key_seg    segs[JET_ccolKeyMost];
    uint32_t   cbKeyMost;
    /* secondary indexes, in name order */
    uint32_t   cidx;
    idx_def   *idxs;            /* owned, cidx entries */
    uint32_t   schemaGen;       /* isam_db.schemaGen when the indexes were loaded */
    uint64_t   snapLoaded;      /* the view they were loaded for: 0 = latest (no transaction), else snapshot + 1 */
    int        fSnapDep;        /* some index row looks different to that view than in the latest state */
    /* long-value tree (lv.c); 0 for tables created before long values were separated */
    uint32_t   objidLV;
    uint32_t   pgnoLV;
    /* Column lookup map (table.c, col_map_*): hash slots by folded name and by
     * columnid over cols[0 .. ccolMapped), plus the highest columnid in each id
     * range, so that adding or finding one of n columns is O(1), not O(n).
     * Owned; NULL until a lookup on a table of COL_MAP_MIN columns or more.
     * Invariant C1: every slot names an index < ccolMapped <= ccol, and
     * cols[0 .. ccolMapped) have not changed name or id since they were
     * mapped, except by becoming a tombstone (JetDeleteColumn: no name,
     * coltyp Nil; every hit is checked against cols, so its slots only miss)
     * -- whoever renames, replaces or removes entries of cols calls
     * col_map_reset (appending is fine: the map catches up).  A copy of a
     * table_def that is freed or looked up in must not keep the pointer
     * (temp_td_clone clears it; create_primary_index's stack copy only goes
     * to cat_update_table, which looks up no column). */
    uint32_t  *colMap;
    uint32_t   cMapSlots;       /* power of two; colMap has 2 * cMapSlots entries */
    uint32_t   ccolMapped;
    JET_COLUMNID idMaxMapped[3]; /* highest fixed, variable, tagged id of the mapped columns (0: none) */
    /* fixed DDL and template tables (template.c TP1-TP3), in the table's catalog row */
    uint32_t   tflags;          /* ISAM_TF_* */
    char       szTemplate[JET_cbNameMost + 1]; /* with ISAM_TF_DERIVED: the template's name */
    /* the table's own callback (JET_TABLECREATE2+ szCallback / cbtyp, callback.c CB2) */
    JET_CBTYP  cbtypTable;      /* 0 = none */
    char       szCallback[260 + 1]; /* ISAM_CB_NAME_MAX */
    JET_CALLBACK pfnTable;      /* resolved on first use, NULL until then */
} table_def;
#define ISAM_CB_NAME_MAX 260
/* The JET_USERDEFINEDDEFAULT that pci->pbUdd packs (pointers into pbUdd). */
void col_udd_struct(const col_info *pci, JET_USERDEFINEDDEFAULT *pudd);
#define UDD_CB_MAX 1024         /* packed user-defined default (col_info.pbUdd) at most */
#define ISAM_TF_FIXEDDDL 0x2u   /* JET_bitTableCreateFixedDDL */
#define ISAM_TF_TEMPLATE 0x4u   /* JET_bitTableCreateTemplateTable */
#define ISAM_TF_DERIVED  0x8u   /* created from a template */
#define ISAM_TF_CALLBACK 0x10u  /* a table callback (szCallback, cbtyp) follows in the row */

/* Invariant S2: a cursor's table_def lists every secondary index whose
 * catalog row is visible to the cursor's snapshot (fNavigable: it may seek and
 * move on it) and, besides, every index whose row exists in the catalog's
 * latest state -- committed after that snapshot, or not committed yet by
 * another transaction (its creation or deletion may still commit or roll
 * back).  Record changes maintain all of them (index.c), so an index is
 * complete whichever way its DDL ends. */

/* ---- databases (db.c) ------------------------------------------------------ */
typedef struct isam_db {
    uint32_t   dbid;
    char       path[OS_PATH_MAX];
    isam_inst *inst;            /* its instance (for db_corrupt, which gets only the db) */
    db_header  hdr;
    bt_env     env;
    bt_hints   hints;           /* env.hints: the btree's append hints (H1 in btree.c) */
    int        readonly;
    int        logged;          /* 0 with JET_bitDbRecoveryOff or recovery off */
    uint32_t   copen;           /* JetOpenDatabase references across sessions */
    /* [inst.lock] Sessions' own opens (create/open minus close), and the
     * session that opened it with JET_bitDbExclusive (NULL: none).  Invariant:
     * excl != NULL implies every session open is excl's (ESENT: another
     * session's open gets JET_errDatabaseLocked). */
    uint32_t   csessopen;
    struct isam_sess *excl;
    uint64_t   seqNext;         /* sequential-key counter: objid << 40 | last key */
    uint32_t   objidLast;       /* highest object id in use (0 = not yet read from the catalog) */
    /* bumped (under inst.lock) by every index create/delete; read without
     * it (isam_sync_indexes: a move reads it once per call, issue 20) */
    _Atomic uint32_t schemaGen;
    /* Invariant S1: record writers hold schemaLock shared from loading their
     * table's index definitions (sync) until their index maintenance is done;
     * an index creation holds it exclusively from its conflict check through
     * the build and the schemaGen bump.  So no record changes while an index
     * is built, and every writer after it maintains the new index.
     * Initialised with OS_RWLOCK_INIT (nothing to destroy). */
    os_rwlock_t schemaLock;
    /* Invariant H1: once the database is attached, every change to hdr and
     * the header write that follows happen under hdrLock, so no writer puts
     * an older copy over a newer one.  H2: the header names (genMaxRequired)
     * every log generation whose changes may be in the file's pages: a page
     * is written only after its lsn's generation is recorded (db_require_gen,
     * called from the cache's write-ahead hook), so recovery can tell a log
     * folder that ends too early (JET_errRequiredLogFilesMissing).
     * Initialised with OS_MUTEX_INIT (nothing to destroy). */
    os_mutex_t  hdrLock;
    /* Autoincrement counters (update.c), under inst.lock.  Invariant A1: for
     * every table that handed out a value since the database was attached,
     * autoinc holds the largest value handed out (sorted by objid, never
     * evicted: a value is handed out at JetPrepareUpdate, before it is
     * stored, so the largest stored value may lag behind it).  A table not
     * here starts from the largest value stored.  Freed by db_close. */
    struct isam_autoinc { uint32_t objid; uint64_t last; } *autoinc;
    uint32_t   cautoinc, cautoincCap;
    /* hdr.incompat's bits, readable without hdrLock (set with them under it,
     * never cleared: db_set_incompat, db_open_file, recovery's redo). */
    atomic_uint incompatSeen;
} isam_db;

/* ---- version store (ver.c) -------------------------------------------------- */

/* An escrow delta on one column of a record.  The column is a fixed Long or
 * LongLong (cbMax 4 / 8); values are the column's cbMax bytes read as an
 * unsigned little-endian integer, added modulo 2^(8*cbMax). */
typedef struct ver_delta {
    rec_column rc;        /* enough for record.c to find and rewrite the value */
    int64_t    delta;
    uint64_t   dflt;      /* the column's value while it is NULL (its default) */
    uint64_t   after;     /* UNDO record: the value the change left */
} ver_delta;
#define VER_DELTA_SIZE 44 /* u32 columnid, coltyp, cbMax, grbit; u16 cp, 0; i64 delta; u64 dflt, after */
void     ver_delta_encode(const ver_delta *pd, uint8_t out[VER_DELTA_SIZE]);
JET_ERR  ver_delta_decode(const uint8_t *pb, uint32_t cb, ver_delta *pd);
/* Add (fUndo: subtract) pd's delta to its column in *prec; *pold / *pnew
 * (may be NULL) receive the value before / after. */
JET_ERR  rec_delta_apply(rec_buf *prec, const ver_delta *pd, int fUndo, uint64_t *pold, uint64_t *pnew);
/* The column's value in a record (its default when NULL). */
JET_ERR  rec_delta_value(const uint8_t *pb, uint32_t cb, const ver_delta *pd, uint64_t *pv);

typedef struct ver {
    struct ver *older;          /* next older version of the same node */
    struct ver *trxNext;        /* next older version made by the same transaction */
    struct ver *hashNext;       /* hash bucket chain (chain heads only) */
    struct isam_trx *trx;       /* NULL once committed and detached from the trx */
    uint64_t    trxid;
    uint64_t    commitTs;       /* 0 while the transaction is active */
    int         level;          /* transaction level that made the change */
    lsn_t       lsnUndo;        /* its UNDO record (LSN_NIL when unlogged) */
    uint32_t    dbid, pgnoRoot;
    uint8_t     op;             /* UNDO_INSERTED / UNDO_CHANGED / UNDO_DELTA (under inst.lock) */
    uint8_t     pending;        /* I7: claimed, not yet filled -- readers skip it */
    uint8_t     flagsBefore;
    /* A flag-delete (V1): the node's bytes before it are its bytes as they
     * stand, flags flagsBefore; no before-image is kept (pbBefore NULL once
     * the UNDO record is logged). */
    uint8_t     fSameData;
    /* V2: the delete of a node that owns every node keyed pbKey||anything
     * (a long value's root); cleanup removes those with it. */
    uint8_t     fCascade;
    /* V3: a run of private inserts (rec_op_insert_private): the nodes keyed
     * pbKey[0..cbKey-4) || be32(first + i), i < crun, inserted in that order
     * by this transaction at this level, their UNDO records at plsnRun[i].
     * In no chain: only the transaction's list (undo only). */
    uint8_t     fRun;
    uint32_t    cbKey, cbBefore;
    uint8_t    *pbKey;          /* points into this allocation */
    uint8_t    *pbBefore;
    ver_delta   d;              /* op == UNDO_DELTA: the delta (pbBefore NULL) */
    size_t      cbAlloc;
    uint32_t    crun, crunAlloc;
    lsn_t      *plsnRun;
} ver;

typedef struct rlock rlock;   /* a read lock (rlock.c) */

typedef struct isam_trx {
    uint64_t   trxid;
    uint64_t   snapshot;        /* commit timestamp visible at begin */
    int        level;           /* 1..7 */
    int        readonly;
    ver       *newest;          /* this transaction's versions, newest first */
    lsn_t      lsnFirst;        /* its first UNDO record (LSN_NIL until it logs one) */
    rlock     *rlocks;          /* read locks it holds (rlock.c), newest first */
    struct isam_trx *next, *prev; /* active list */
} isam_trx;

/* ---- cursors ---------------------------------------------------------------- */
typedef struct isam_cursor {
    uint32_t    gen;
    int         used;
    isam_db    *db;
    table_def  *td;             /* owned (loaded at open) */
    bt_cursor  *bc;
    int         positioned;     /* on a record */
    uint8_t    *pbKeyCur;  uint32_t cbKeyCur; uint32_t cbKeyCurAlloc; /* node key in the current index's tree */
    uint8_t    *pbBm;      uint32_t cbBm;     uint32_t cbBmAlloc;     /* primary bookmark of the current record */
    uint32_t    objidIdx;       /* current secondary index (idx_def.objid), 0 = primary */
    /* index range (JetSetIndexRange / JET_bitSetIndexRange) */
    int         fRange;
    JET_GRBIT   grbitRange;     /* JET_bitRangeInclusive | JET_bitRangeUpperLimit */
    uint8_t     keyRange[2 * JET_cbKeyMost8KBytePage + 16];
    uint32_t    cbRange;
    /* JetMakeKey */
    uint8_t     keyMade[2 * JET_cbKeyMost8KBytePage + 16];
    uint32_t    cbKeyMade;
    uint32_t    csegMade;
    int         fKeyMade;
    int         fKeyLimit;      /* a limit grbit was given on the last segment */
    /* JetPrepareUpdate */
    uint32_t    prep;           /* JET_prepInsert / JET_prepReplace / JET_prepCancel (none) */
    int         levelPrep;      /* U1: the transaction level the update was prepared at */
    /* U2: while an update is prepared, rec is a well-formed record: rec_init's,
     * or the current record checked whole at the prepare (rec_check), changed
     * only by rec_set_valid since; so update.c reads and changes it with the
     * rec_*_valid functions (record.c R-VALID: no re-check of every tagged
     * column at each JetSetColumn). */
    rec_buf     rec;            /* record being built */
    int         fDirty;
    /* long values created for the prepared update (lv.c): referenced by
     * pcur->rec only, deleted when the update is cancelled (L1 in lv.c) */
    uint64_t   *plidNew;
    uint32_t    clidNew, clidNewAlloc;
    /* temporary table (temp.c): this cursor owns the table and its trees */
    int         fTemp;
    int         fPermitDDL;     /* opened with JET_bitTablePermitDDL (template.c TP2) */
    /* CU1: opened with JET_bitTableReadOnly, or a JetDupCursor of such a
     * cursor: it reads, and every change through it (JetPrepareUpdate other
     * than cancel, JetDelete, JetEscrowUpdate, JetGetLock(WriteLock), column
     * and index DDL) is JET_errPermissionDenied, as ESENT's non-updatable
     * cursor (cur_check_updatable). */
    int         fReadOnly;
    uint32_t   *pcrefTemp;      /* cursors on the table (JetDupCursor), shared by them */
    JET_GRBIT   grbitTT;        /* JET_bitTT* it was opened with */
    uint64_t    trxidTemp;      /* transaction that opened it (0: none or committed) */
    int         levelTemp;      /* its level then: rolling it back closes the table */
    /* The current record's visible image (V5; cursor.c, isam_cur_record):
     * valid while fRecCur, positioned == POS_ON, inst.visGen == recGen and
     * the session's transaction is recTrx (0: none).  Every position change
     * (isam_set_pos, isam_goto_bookmark) clears fRecCur first. */
    rec_buf     recCur;
    uint64_t    recGen, recTrx;
    int         fRecCur;
    /* V5b: recCur parsed once (record.c R-VIEW) for every column read of
     * this position.  fRecLay implies recLay was parsed from recCur's
     * present bytes: recCur is only (re)written while fRecCur is 0, and
     * every place that clears fRecCur clears fRecLay with it (cursor.c
     * cur_rec_forget), so the layout is parsed again after every reload.
     * isam_cur_layout hands it out. */
    rec_layout  recLay;
    int         fRecLay;
    /* local storage (ls.c, LS1): valid while fLs */
    int          fLs;
    JET_API_PTR  ls;
    JET_CALLBACK pfnLs;
    JET_SESID    sesidLs;
    JET_TABLEID  tableidLs;
} isam_cursor;

/* CU1: JET_errPermissionDenied for a cursor that may not change its table. */
static inline JET_ERR cur_check_updatable(const isam_cursor *pcur)
{
    return pcur->fReadOnly ? JET_errPermissionDenied : JET_errSuccess;
}

struct isam_sess {
    isam_inst   *inst;
    isam_trx    *trx;           /* NULL outside a transaction */
    uint32_t     dbopen[ISAM_MAX_DBID + 1]; /* JetOpenDatabase count per dbid */
    /* Cursor slots (cursor.c): cursors[0..ccursors) are allocated, each once,
     * and kept until the session ends, so a stale JET_TABLEID finds its slot's
     * gen moved on; the array grows by doubling (ccursorsAlloc) as far as the
     * instance's cursor limit (isam_inst.ccursorsOpen) allows. */
    isam_cursor **cursors;
    uint32_t     ccursors, ccursorsAlloc;
    int          fScratch;      /* the change being begun is to a temporary table (read-only transactions allow it) */
    uint64_t     undoSeen;      /* inst.undoEpoch when its last rec_visible ended (V4, ver.c) */
    /* table callbacks (callback.c, CB1): only the session's thread uses them */
    isam_cb_reg *cbregs;
    uint32_t     ccbregs, ccbregsCap;
    JET_HANDLE   cbLast;
    /* The list tables infolist.c builds hold UTF-16 text in Unicode (cp
     * 1200) columns: set by the api for the W functions' list levels only,
     * around one call (isam_set_wide_lists). */
    int          fWideLists;
    struct isam_sess *next;
};

struct isam_inst {
    isam_config      cfg;
    char             logdir[OS_PATH_MAX], sysdir[OS_PATH_MAX], base[4], altdb[OS_PATH_MAX];
    os_mutex_t  lock;
    os_rwlock_t ckpt;      /* shared by page changes, exclusive to read the checkpoint */
    cache           *pc;
    log_writer      *lw;        /* NULL when recovery is off */
    JET_SIGNATURE    signLog;   /* the log stream's signature */
    isam_db         *dbs[ISAM_MAX_DBID + 1];
    /* transactions */
    uint64_t         trxidNext;
    uint64_t         ts;        /* last commit timestamp */
    isam_trx        *active;    /* active transactions */
    uint32_t         cactive;
    /* version store */
    ver            **hash;
    uint32_t         chash;
    uint64_t         cbVer;     /* bytes held */
    _Atomic uint64_t cChained;  /* versions linked into node chains (V6): changed under lock, read without */
    ver             *committedOld, *committedNew; /* committed versions awaiting cleanup, by commitTs */
    _Atomic uint64_t undoEpoch; /* +1 whenever a rollback takes a version away (V4, ver.c): changed under lock */
    _Atomic uint64_t visGen;    /* +1 after every change of what a reader may see (V5) */
    rlock           *rlocks;    /* read locks held by active transactions (rlock.c) */
    /* space reclamation (reclaim.c) */
    struct reclaim_ent  *reclaim;      /* trees to drop, pending or decided */
    struct reclaim_open *reclaimOpen;  /* open cursors per table */
    uint32_t             creclaimOpen;
    uint32_t             copening;     /* isam_open_table calls between catalog read and cursor */
    /* Open cursors of every session, under lock: at most cfg.cCursorsMax
     * (JET_errOutOfCursors beyond; cursor.c). */
    uint32_t             ccursorsOpen;
    /* record trees that ever had an escrow delta version: readers of their
     * nodes re-read the node under inst.lock (ver.c, rec_visible) */
    struct { uint32_t dbid, pgnoRoot; } deltaTrees[32];
    uint32_t         cdeltaTrees;
    int              fDeltaAll;   /* deltaTrees overflowed: every tree */
    /* checkpoint (inst.c, invariants CP1-CP4): lsnCheckpoint and lsnCkptEnd
     * are read and written only under ckptMu, which serialises every
     * advance of the checkpoint.  Lock order: ckptMu -> ckpt -> inst.lock. */
    os_mutex_t  ckptMu;
    lsn_t            lsnCheckpoint;
    uint32_t         cbackup;     /* backups running (bksupport.c): no detach meanwhile */
    lsn_t            lsnCkptEnd;  /* log end when the checkpoint last advanced */
    /* The background checkpointer (inst.c, CT1-CT6).  ckThMu guards the
     * flags below; errCkTh and cbCkptDue are also read without it (CT6). */
    os_mutex_t       ckThMu;
    os_cond_t        ckThWork;    /* the thread waits here for fKick / fStop */
    os_cond_t        ckThIdle;    /* back-pressured committers wait here for !fBusy */
    os_thread_t      ckTh;
    int              fCkTh;       /* the thread runs (set by isam_init, cleared once joined) */
    int              fKick, fBusy, fStop;
    _Atomic JET_ERR  errCkTh;     /* the thread's failure, not yet returned by a commit (CT5) */
    _Atomic uint64_t cbCkptDue;   /* log position (bytes, lsn_bytes) at which the next advance is due */
    /* H3 (db_follow_log): every attached logged database's header names at
     * least this generation in genMaxRequired; raised after commits. */
    _Atomic int32_t  genFollowed;
    /* F1: the first failure after which nothing written can be trusted to be
     * durable (a failed log write or sync, a failed database flush or sync):
     * from then on every logged change fails with JET_errInstanceUnavailable,
     * the checkpoint never moves again and JetTerm stops dirty, so the next
     * JetInit recovers from the log.  Never cleared. */
    _Atomic JET_ERR  errFatal;
    /* JET_paramDurableCommitCallback (inst.c): read by the log flusher thread */
    _Atomic(JET_PFNDURABLECOMMITCALLBACK) pfnDurable;
    _Atomic JET_INSTANCE instDurable;
    int              dirtyTerm;
    /* temporary database (temp.c) */
    char             temppath[OS_PATH_MAX];
    uint32_t         ctemp;       /* temporary tables open (under lock) */
    os_mutex_t  tempLock;    /* serializes creating the temporary database (taken before lock) */
    struct ls_table *lsTables;   /* tables' local storage (ls.c, LS2), under lock */
    struct isam_defrag *defrag[ISAM_MAX_DBID + 1]; /* online defragmentation tasks (defrag.c, D1), under lock */
    int              fStaleCreate; /* R7 (recovery.c): a failed creation's file could not be removed durably:
                                    * term leaves the log dirty so that recovery removes it (lock) */
};

/* ---- internal functions ------------------------------------------------------- */

/* Every page change holds pinst->ckpt shared from its log append until the
 * page is marked dirty, so a checkpoint never passes a change whose page is
 * not yet in the dirty-page table (see isam_maybe_checkpoint); the callers
 * take it around the whole btree call, so the change's image-or-record
 * decision (btree.c T3) is inside too, which CP5 (inst.c) relies on. */
#define CKPT_ENTER(pinst) os_rwlock_rdlock(&(pinst)->ckpt)
#define CKPT_LEAVE(pinst) os_rwlock_unlock(&(pinst)->ckpt)

/* log.c glue */
JET_ERR isam_log(isam_inst *pinst, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn);
JET_ERR isam_bt_log(void *ctx, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn);
JET_ERR isam_maybe_checkpoint(isam_inst *pinst);
/* Advance the checkpoint now as far as CP1-CP4 allow (an active transaction
 * may hold it back: I5); *pchk the checkpoint after (LSN_NIL: no log). */
JET_ERR isam_force_checkpoint(isam_inst *pinst, lsn_t *pchk);
/* Smallest lsnFirst among active transactions and lsn of the free list of
 * a pending drop (I9) (LSN_NIL if none). */
lsn_t   isam_oldest_trx_lsn(isam_inst *pinst);

/* reclaim.c (dropping unreachable trees; see its header) */
typedef struct reclaim_ent reclaim_ent;
/* The trees `roots` (object ids `objids`) of table objidTable become
 * unreachable if the session's transaction commits (fOnCommit: a delete) or
 * rolls back (a creation). */
JET_ERR  reclaim_register(isam_sess *psess, isam_db *pdb, uint32_t objidTable, int fOnCommit, const uint32_t *roots,
                          const uint32_t *objids, uint32_t croots);
/* The free list (I9) for the COMMIT (fCommit) or ROLLBACK record that ends t:
 * os_malloc'ed into *ppb (NULL, *pcb = 0 when t drops no logged tree). */
JET_ERR  reclaim_free_list(isam_inst *pinst, isam_trx *t, int fCommit, uint8_t **ppb, uint32_t *pcb);
/* Under inst.lock: level `level` of t commits or rolls back (tsCommit: the
 * commit timestamp of a level-1 commit; lsnEnd: the COMMIT or ROLLBACK
 * record that carried the free list of a level-1 end, else LSN_NIL). */
void     reclaim_level_end_locked(isam_inst *pinst, isam_trx *t, int level, int fCommit, uint64_t tsCommit,
                                  lsn_t lsnEnd);
/* The TREEFREED record (I9). */
JET_ERR  reclaim_log_freed(isam_inst *pinst, uint32_t dbid, uint32_t pgnoRoot, uint32_t objid);
/* Under inst.lock: open cursors on table objid of dbid (R3's count). */
uint32_t reclaim_table_cursors_locked(isam_inst *pinst, uint32_t dbid, uint32_t objid);
/* ls.c: a cursor is being freed: release its local storage and, when it is
 * the table's last cursor, the table's (callbacks run with no lock held). */
void     ls_cursor_closing(isam_inst *pinst, isam_cursor *pcur);
/* ls.c, at term: release every table's local storage left. */
void     ls_free_all(isam_inst *pinst);
/* Cursor bookkeeping (R3). */
JET_ERR  reclaim_open_table(isam_inst *pinst, uint32_t dbid, uint32_t objid);
void     reclaim_close_table(isam_inst *pinst, uint32_t dbid, uint32_t objid);
void     reclaim_opening(isam_inst *pinst, int delta);
/* Drop every tree that nobody can reach any more (R1..R4).  No lock held. */
void     reclaim_run(isam_inst *pinst);
/* Under inst.lock: database dbid goes away; its decided drops are forgotten. */
void     reclaim_forget_db_locked(isam_inst *pinst, uint32_t dbid);
/* Under inst.lock: the oldest lsnIntent of a pending drop (R5), or LSN_NIL. */
lsn_t    reclaim_oldest_intent_locked(isam_inst *pinst);
void     reclaim_free_all(isam_inst *pinst);
/* ver.c, under inst.lock: the oldest snapshot an active transaction reads at
 * (the last commit timestamp when none is active). */
uint64_t ver_oldest_snapshot_locked(isam_inst *pinst);
/* ver.c, under inst.lock: some version (active or committed) is on a node of tree pgnoRoot. */
int      ver_tree_has_versions_locked(isam_inst *pinst, uint32_t dbid, uint32_t pgnoRoot);

/* rlock.c (read locks; see its header) */
/* JetGetLock(JET_bitReadLock) on node key of tree pgnoRoot for the session's
 * transaction: JET_errWriteConflict when another transaction changed the node
 * and is active or committed after this one's snapshot. */
JET_ERR  rlock_acquire(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey);
/* JetPrepareUpdate(JET_prepReplace) in a transaction: a write lock on the
 * node until the update (whose version then holds it: rlock_release_write)
 * or the transaction's level ends.  JET_errWriteConflict as rlock_acquire, or
 * when another transaction holds a lock on the node. */
JET_ERR  rlock_acquire_write(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey);
void     rlock_release_write(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey);
/* Under inst.lock: another transaction than t holds a read lock on the node. */
int      rlock_conflict_locked(isam_inst *pinst, const isam_trx *t, uint32_t dbid, uint32_t pgnoRoot,
                               const void *key, uint32_t cbKey);
/* Under inst.lock: level `level` of t ends.  Commit of a nested level passes
 * its locks to the enclosing level; a rollback, or the end of the
 * transaction (level 1), releases them. */
void     rlock_end_level_locked(isam_inst *pinst, isam_trx *t, int level, int fCommit);
/* ver.c: the node's latest state, whatever any snapshot sees: its data unless
 * it is flag-deleted, then the state before a delete not yet committed (the
 * delete may roll back), else JET_errRecordNotFound. */
JET_ERR  rec_latest(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                    const void *pvNode, uint32_t cbNode, uint32_t nodeflags, rec_buf *pbuf);
/* ver.c, under inst.lock: some node of tree pgnoRoot carries a change by
 * another transaction than t that is active or committed after t's snapshot
 * (so t's snapshot of the tree is not its latest state). */
int      ver_tree_changed_by_others_locked(isam_inst *pinst, const isam_trx *t, uint32_t dbid, uint32_t pgnoRoot);
/* ver.c, under inst.lock: the node's newest version belongs to another
 * transaction than t that is active or committed after t's snapshot. */
int      ver_changed_by_other_locked(isam_inst *pinst, const isam_trx *t, uint32_t dbid, uint32_t pgnoRoot,
                                     const void *key, uint32_t cbKey);

/* db.c */
isam_db *db_get(isam_inst *pinst, JET_DBID dbid);
/* The record format new records of pdb get (record.h): version 2 once the
 * file's header carries DB_INCOMPAT_RECORD_HDR2 (every file created since),
 * version 1 in files of format version 1, so their older readers still read
 * them.  incompat is fixed once the file is open. */
static inline uint32_t isam_db_rec_format(const isam_db *pdb)
{
    return (pdb->hdr.incompat & DB_INCOMPAT_RECORD_HDR2) ? REC_FORMAT_V2 : REC_FORMAT_V1;
}
JET_ERR  db_open_file(isam_inst *pinst, uint32_t dbid, const char *path, int create, const JET_SIGNATURE *psign,
                      int logged, isam_db **ppdb);
JET_ERR  db_close(isam_inst *pinst, isam_db *pdb, int clean);
void     db_init_env(isam_inst *pinst, isam_db *pdb);
JET_ERR  db_mark_clean(isam_inst *pinst, isam_db *pdb);
/* H2: before a page of database dbid with changes from log generation gen
 * is written, record gen in its header.  Unlogged or unknown dbid: nothing. */
JET_ERR  db_require_gen(isam_inst *pinst, uint32_t dbid, int32_t gen);
/* Raise genMinRequired (fMin; only while the database is dirty) or
 * genMaxRequired of pdb's header to gen and write the header; the field is
 * put back when the write fails.  NULL, unlogged and read-only databases are
 * left alone.  Takes hdrLock. */
JET_ERR  db_header_raise_gen(isam_inst *pinst, isam_db *pdb, int fMin, int32_t gen);
/* F1 (cache.h): mark the database as holding the DB_INCOMPAT_* encoding `bit`
 * before the first page with it can reach the disk: a DBINCOMPAT log record
 * (recovery and restore set the bit too), then the header, written at once.
 * Cheap once set (incompatSeen). */
JET_ERR  db_set_incompat(isam_inst *pinst, isam_db *pdb, uint32_t bit);
/* H3: raise genMaxRequired of every attached logged database to the log's
 * current generation when the log has rolled since the last call, so a
 * header never lags the log by more than the generations since the last
 * commit and recovery can tell a lost tail (JET_errRequiredLogFilesMissing).
 * On failure genFollowed stays put, so the next call tries again.
 * Takes inst.lock: call it holding no isam lock. */
JET_ERR  db_follow_log(isam_inst *pinst);

/* callback.c: free the session's callback registrations */
void     cb_free_session(isam_sess *psess);

/* catalog.c */
JET_ERR  cat_insert_index(isam_sess *psess, isam_db *pdb, const table_def *ptd, const idx_def *pidx);
/* The view the session reads the catalog with (table_def.snapLoaded). */
uint64_t cat_view(isam_sess *psess);
JET_ERR  cat_delete_index(isam_sess *psess, isam_db *pdb, const table_def *ptd, const idx_def *pidx);
/* (Re)load ptd's secondary indexes visible to the session (replacing ptd->idxs). */
JET_ERR  cat_load_indexes(isam_sess *psess, isam_db *pdb, table_def *ptd);
JET_ERR  cat_init(isam_sess *psess, isam_db *pdb);
JET_ERR  cat_load_table(isam_sess *psess, isam_db *pdb, const char *szName, table_def **pptd);
void     cat_free_table(table_def *ptd);
JET_ERR  cat_insert_table(isam_sess *psess, isam_db *pdb, const table_def *ptd);
JET_ERR  cat_insert_column(isam_sess *psess, isam_db *pdb, const table_def *ptd, const col_info *pci);
JET_ERR  cat_update_table(isam_sess *psess, isam_db *pdb, const table_def *ptd);
/* Rewrite a column row (rename; coltyp JET_coltypNil = deleted, a tombstone). */
JET_ERR  cat_update_column(isam_sess *psess, isam_db *pdb, const table_def *ptd, const col_info *pci);
/* Reload ptd's columns visible to the session (tombstones included). */
JET_ERR  cat_reload_columns(isam_sess *psess, isam_db *pdb, table_def *ptd);
/* Move the table row to szNew (JET_errTableDuplicate when taken); ptd->name follows. */
JET_ERR  cat_rename_table(isam_sess *psess, isam_db *pdb, table_def *ptd, const char *szNew);
JET_ERR  cat_delete_table(isam_sess *psess, isam_db *pdb, const table_def *ptd);
uint32_t cat_name_fold(const char *szName, char *out);
/* A new object id for a table tree (one more than any in the catalog). */
JET_ERR  cat_next_objid(isam_sess *psess, isam_db *pdb, uint32_t *pobjid);

/* ver.c / trx.c: record-level operations under a transaction */
JET_ERR  trx_auto_begin(isam_sess *psess, int *pfAuto);
JET_ERR  trx_auto_end(isam_sess *psess, int fAuto, JET_ERR err);
JET_ERR  rec_op_insert(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                       const void *data, uint32_t cbData);
/* rec_op_insert of a node the caller knows is not present (V7): one
 * descent instead of two; a flag-deleted node is handled as rec_op_insert. */
JET_ERR  rec_op_insert_fresh(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                             const void *data, uint32_t cbData);
JET_ERR  rec_op_replace(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                        const void *data, uint32_t cbData);
JET_ERR  rec_op_delete(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey);
/* Versioned delete of node key that also owns every node keyed key||...
 * (V2): those are not touched now, and go with it at cleanup, once no
 * snapshot can see it; a rollback only restores key. */
JET_ERR  rec_op_delete_cascade(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey);
/* Insert a node no other transaction can reach until this one commits (the
 * caller's guarantee: it hangs under a node this transaction inserted or
 * owns alone), key = prefix || be32 n (V3).  No version: an undo entry of
 * 8 bytes (its UNDO record's lsn) in a run of consecutive n.  An existing
 * (flag-deleted) node takes rec_op_insert's way. */
JET_ERR  rec_op_insert_private(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                               const void *data, uint32_t cbData);
/* JetEscrowUpdate: add pd->delta to column pd->rc of the existing node `key`
 * at once, without write conflicts with other transactions' deltas (a delta
 * version; fNoRollback: no version, no UNDO, never taken back).
 * JET_errWriteConflict when another transaction has an uncommitted or
 * snapshot-invisible insert / replace / delete of the node;
 * JET_errRecordDeleted when the node is gone.  *pold receives the stored
 * value before (versioning ignored, as ESE's pvOld). */
JET_ERR  rec_op_escrow(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                       const ver_delta *pd, int fNoRollback, uint64_t *pold);
/* The state of node `key` visible to the session: JET_errSuccess with data
 * (copied into *pbuf), or JET_errRecordNotFound when invisible/absent. */
JET_ERR  rec_visible(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                     const void *pvNode, uint32_t cbNode, uint32_t nodeflags, rec_buf *pbuf);
/* Look node `key` up and return its state visible to the session
 * (JET_errRecordNotFound when absent or invisible). */
JET_ERR  rec_read_visible(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                          rec_buf *pbuf);
void     ver_cleanup(isam_inst *pinst);
void     ver_free_all(isam_inst *pinst);

/* Savepoints: a nested level around one multi-node change (JetUpdate,
 * JetDelete, index builds) so that a failure undoes it entirely without
 * ending the caller's transaction.  trx_save_begin opens an implicit
 * transaction when none is active. */
JET_ERR  trx_save_begin(isam_sess *psess, int *pfAuto);
JET_ERR  trx_save_end(isam_sess *psess, int fAuto, JET_ERR err);

/* cursor.c (table cursors are split over cursor.c, table.c, update.c,
 * retrieve.c and index.c; what they share is here and in the inline helpers
 * after lv.c below) */
void     cursor_close_all(isam_sess *psess);
isam_cursor *cursor_get(isam_sess *psess, JET_TABLEID tableid);
/* A cursor on ptd, which the cursor owns once this succeeds (the caller
 * frees ptd when it fails). */
/* U1: an update belongs to the transaction level it was prepared at.  A
 * commit of `level` hands it to the enclosing level (fCommit); a rollback to
 * level `level - 1` cancels it (its long values were undone with the level),
 * as ESE does. */
void     cursor_trx_level_end(isam_sess *psess, int level, int fCommit);
JET_ERR  cursor_alloc(isam_sess *psess, isam_db *pdb, table_def *ptd, JET_TABLEID *ptableid);
void     cursor_close(isam_sess *psess, isam_cursor *pcur);
/* Begin an implicit transaction (fSave: a savepoint) for a change through
 * pcur; *pmark remembers where the caller's transaction stood.  A temporary
 * table may be written inside a read-only transaction: its scratch rows are
 * no part of what the transaction reads. */
JET_ERR  isam_cur_trx_begin(isam_sess *psess, isam_cursor *pcur, int fSave, int *pfAuto, const void **pmark);
/* End what isam_cur_trx_begin began.  With JET_paramEnableTempTableVersioning
 * off, a temporary table's change made inside the caller's transaction
 * keeps no versions once it succeeded: a rollback no longer undoes it (a
 * failed change is still undone whole by its savepoint). */
JET_ERR  isam_cur_trx_end(isam_sess *psess, isam_cursor *pcur, int fSave, int fAuto, const void *mark, JET_ERR err);
/* Position ON the node `key` of the current index's tree, whose record has
 * primary bookmark bm (== key on the primary index). */
JET_ERR  isam_set_pos(isam_cursor *pcur, const void *key, uint32_t cbKey, const void *bm, uint32_t cbBm);
/* Reload the table's columns and secondary indexes when another cursor
 * changed them (column or index DDL) since they were loaded. */
JET_ERR  isam_sync_indexes(isam_sess *psess, isam_cursor *pcur);
/* update.c: cancel pcur's prepared update (its new long values go: L1 in lv.c). */
void     isam_cancel_update(isam_sess *psess, isam_cursor *pcur);
/* update.c: load the visible record at the bookmark into *pbuf. */
JET_ERR  isam_load_current(isam_sess *psess, isam_cursor *pcur, rec_buf *pbuf);
/* cursor.c: the visible record at the bookmark, read-only, valid until the
 * cursor moves or this is called again: the cursor's kept image when V5
 * says it is current, else read by the bookmark (and kept).
 * JET_errNoCurrentRecord when not on a record, JET_errRecordDeleted when it
 * is no longer visible. */
JET_ERR  isam_cur_record(isam_sess *psess, isam_cursor *pcur, const rec_buf **pprec);
/* The current record parsed (V5b, record.c R-VIEW): as isam_cur_record. */
JET_ERR  isam_cur_layout(isam_sess *psess, isam_cursor *pcur, const rec_layout **ppl);
/* ver.c: V5, a change of what readers may see (after the change).  A reader
 * loads inst.visGen before it copies the node it will keep an image of. */
static inline void isam_vis_changed(isam_inst *pinst)
{
    atomic_fetch_add(&pinst->visGen, 1);
}
/* update.c: on a secondary index, put the cursor on the (first) entry of the
 * record at pcur->pbBm, whose contents are *prec.  JET_errNoCurrentRecord if
 * the record has no entry in the index (null key ignored by the index). */
JET_ERR  isam_reposition_on_record(isam_sess *psess, isam_cursor *pcur, const rec_buf *prec);
/* Validate a column definition against ptd and build its col_info (id
 * chosen, default copied: *pci owns pbDefault). */
JET_ERR  col_build(table_def *ptd, const char *szName, const JET_COLUMNDEF *pdef, const void *pvDefault,
                   uint32_t cbDefault, col_info *pci);

/* temp.c: the temporary database and temporary tables */
/* Remove a temporary database left by an earlier run (at isam_init). */
void     temp_remove_stale(isam_inst *pinst);
/* Close and delete the temporary database (at isam_term). */
void     temp_term(isam_inst *pinst);
/* pcur leaves its temporary table; the last cursor drops the table (its
 * trees, its versions, its count). */
void     temp_drop(isam_sess *psess, isam_cursor *pcur);
/* JetDupCursor on a temporary table: another cursor on it, on its first record. */
JET_ERR  temp_dup(isam_sess *psess, isam_cursor *pcur, JET_TABLEID *ptableid);
/* pcur is a temporary table that drops duplicate keys silently. */
int      temp_drops_duplicates(const isam_cursor *pcur);
/* Transaction hooks: a level of psess's transaction committed into levelNew,
 * or was rolled back to level target (temporary tables opened above it close). */
void     temp_trx_committed(isam_sess *psess, uint64_t trxid, int levelNew);
void     temp_trx_rolled_back(isam_sess *psess, uint64_t trxid, int target);
/* Forget every version of nodes in trees roots[0..c) of dbid (their trees
 * are about to be dropped; only psess can have changed them). */
void     ver_forget_trees(isam_sess *psess, uint32_t dbid, const uint32_t *roots, uint32_t c);
/* Create a tree with objid in pdb for psess's transaction, announced by an
 * UNDO_TREE record (I8; the caller holds ckpt shared). */
JET_ERR  ver_create_tree(isam_sess *psess, isam_db *pdb, uint32_t objid, uint32_t *ppgnoRoot);
/* Where the session's transaction stands (its newest version, opaque), and
 * forgetting every version it made since that mark: the changes stay, a
 * rollback no longer undoes them (unversioned temporary tables). */
const void *ver_mark(isam_sess *psess);
void     ver_forget_since(isam_sess *psess, const void *mark);

/* infolist.c: JET_ColInfoList / JET_IdxInfoList as temporary tables */
JET_ERR  list_columns(isam_sess *psess, isam_cursor *pcur, uint32_t infolevel, JET_COLUMNLIST *pcl);
/* One row per segment of: pidxOnly, or the primary index (fPrimaryOnly), or every index (fAll). */
JET_ERR  list_indexes(isam_sess *psess, isam_cursor *pcur, const idx_def *pidxOnly, int fPrimaryOnly, int fAll,
                      JET_INDEXLIST *pil);
/* index.c: create on tid an index like one of ptdSrc (segs / conditions named by ptdSrc's
 * column names, so the target's column ids may differ): compaction and template tables. */
JET_ERR idx_create_like(isam_sess *psess, JET_TABLEID tid, table_def *ptdSrc, const char *szName, JET_GRBIT grbit,
                        const key_seg *segs, uint32_t cseg, uint32_t cbKeyMost, const idx_def *pidxSrc);
col_info *col_by_id(table_def *ptd, JET_COLUMNID columnid);
col_info *col_by_name(table_def *ptd, const char *szName);
/* ptd->cols as indexes in ascending column id (ids 0 and repeats left out), *pn
 * of them, in one sort: for walks in id order (compaction, template
 * inheritance) that must not be O(n^2) in the column count.  os_free(*ppidx). */
JET_ERR   col_order_by_id(const table_def *ptd, uint32_t **ppidx, uint32_t *pn);
/* Forget the column lookup map (C1): after cols was replaced, or an entry renamed. */
void      col_map_reset(table_def *ptd);
/* template.c: TP2 (adding a column -- pdef -- or an index -- pdef NULL) and
 * TP2/TP3 (deleting a column or an index). */
JET_ERR tpl_check_add(const isam_cursor *pcur, const JET_COLUMNDEF *pdef);
/* JET_OBJECTINFO.flags: JET_bitObjectTableFixedDDL / Template / Derived. */
uint32_t tpl_object_flags(const table_def *ptd);
JET_ERR tpl_check_delete(isam_sess *psess, const isam_cursor *pcur, const char *szColumn, const char *szIndex);

/* index.c */
/* An index the cursor's snapshot sees (S2), by name; _any: also the ones it only maintains. */
idx_def *idx_by_name(table_def *ptd, const char *szName);
idx_def *idx_by_name_any(table_def *ptd, const char *szName);
idx_def *idx_by_objid(table_def *ptd, uint32_t objid);
/* Parse "+a\0-b\0\0" into segments (KEY_SEG_* flags) against ptd's columns. */
JET_ERR  idx_parse_key(table_def *ptd, const char *szKey, uint32_t cbKey, JET_GRBIT grbit, uint32_t segflagsAll,
                       key_seg *segs, uint32_t *pcseg);
/* Keep every secondary index of ptd in step with one record change: old
 * record NULL for inserts, new record NULL for deletes.  Uses rec_op_* so the
 * entries are versioned, undone by rollback and by recovery. */
JET_ERR  idx_record_changed(isam_sess *psess, isam_db *pdb, table_def *ptd, const void *bm, uint32_t cbBm,
                            const rec_buf *pold, const rec_buf *pnew);
/* The entry keys of one record in one index: *pn keys, key i at
 * pb + off[i], length len[i] (all owned by the idx_keys). */
/* A zeroed idx_keys starts empty (arrays allocated as keys come);
 * idx_keys_init points it at its inline room first, so the common record
 * (a few short keys per index) makes its keys without any allocation. */
#define IDX_KEYS_INLINE_N  4
#define IDX_KEYS_INLINE_CB 512
typedef struct idx_keys {
    uint8_t  *pb;  uint32_t cb, cbAlloc;
    uint32_t *off, *len; uint32_t n, nAlloc;
    uint32_t  offInl[IDX_KEYS_INLINE_N], lenInl[IDX_KEYS_INLINE_N];
    uint8_t   pbInl[IDX_KEYS_INLINE_CB];
} idx_keys;
void     idx_keys_init(idx_keys *pk);
/* psess/pdb (may be NULL: separated long values then fail with
 * JET_errFeatureNotAvailable) read the leading bytes of separated long values. */
JET_ERR  idx_entry_keys(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, const uint8_t *pbRec,
                        uint32_t cbRec, const void *bm, uint32_t cbBm, idx_keys *pk);
void     idx_keys_free(idx_keys *pk);
/* Which value of the index's multi-valued key column made the entry `key`
 * of this record: *pitag (1 when no multi-valued column has several values;
 * *pcolumnid = that column, or 0).  JET_errSecondaryIndexCorrupted when the
 * record makes no such entry. */
JET_ERR  idx_entry_itag(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, const uint8_t *pbRec,
                        uint32_t cbRec, const void *bm, uint32_t cbBm, const void *key, uint32_t cbKey,
                        JET_COLUMNID *pcolumnid, uint32_t *pitag);
/* The primary bookmark an index entry (key, visible data) points to. */
JET_ERR  idx_entry_bookmark(const idx_def *pidx, const void *key, uint32_t cbKey, const void *data, uint32_t cbData,
                            const void **ppbm, uint32_t *pcbBm);
/* Fill a new index from the table's visible records. */
JET_ERR  idx_build(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, uint32_t pctDensity);

/* lv.c: long values in a table's long-value tree (format and invariants in lv.c).
 * A record refers to one with a tagged value flagged REC_TAG_SEPARATED whose
 * bytes are LV_REF_SIZE: u64 lid, u64 size (little-endian). */
#define LV_REF_SIZE 16
void     lv_ref_make(uint8_t ref[LV_REF_SIZE], uint64_t lid, uint64_t cb);
int      lv_ref_parse(const void *pv, uint32_t cb, uint64_t *plid, uint64_t *pcb);
/* Values longer than this stay out of the record (unless JET_bitSetIntrinsicLV). */
uint32_t lv_intrinsic_max(isam_db *pdb);
/* A new long value (reference count 1) holding pv/cb. */
JET_ERR  lv_create(isam_sess *psess, isam_db *pdb, table_def *ptd, const void *pv, uint32_t cb, uint64_t *plid);
/* A new long value (count 1) with a copy of the first cb bytes of lid. */
JET_ERR  lv_copy(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t cb, uint64_t *plidNew);
/* Write pv/cb at offset ib (<= the current size *pcbSize, which grows). */
JET_ERR  lv_write(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t *pcbSize, uint64_t ib,
                  const void *pv, uint32_t cb);
/* Truncate or zero-extend to cbNew. */
JET_ERR  lv_set_size(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t *pcbSize, uint64_t cbNew);
/* Copy up to cb bytes from offset ib into pv; *pcbRead receives how many. */
JET_ERR  lv_read(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t ib, void *pv, uint32_t cb,
                 uint32_t *pcbRead);
/* Reference count +1 (another record refers to lid) / -1 (deleted at 0). */
JET_ERR  lv_addref(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid);
JET_ERR  lv_release(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid);
/* Call fn for every separated value of a record. */
JET_ERR  lv_for_each_ref(const rec_buf *prec, JET_ERR (*fn)(void *ctx, uint64_t lid), void *ctx);
/* Records too big for a node (lv.c O1-O3, record.c R-OVF).  The largest
 * record a node holds, and the largest a prepared update may build. */
uint32_t lv_record_node_max(isam_db *pdb);
uint32_t lv_record_logical_max(isam_db *pdb);
/* A stored record in overflow form becomes the whole record (no-op otherwise). */
JET_ERR  lv_ovf_expand(isam_sess *psess, isam_db *pdb, table_def *ptd, rec_buf *prec);
/* The bytes to store for record *prec: itself when it fits a node
 * (*pfStored = 0), else its overflow form in *pstored with a new overflow
 * lid (*pfStored = 1); JET_errRecordTooBig when even that does not fit. */
JET_ERR  lv_ovf_store(isam_sess *psess, isam_db *pdb, table_def *ptd, const rec_buf *prec, rec_buf *pstored,
                      int *pfStored);
/* Before the record at key is replaced or deleted: release its overflow lid, if any. */
JET_ERR  lv_ovf_release(isam_sess *psess, isam_db *pdb, table_def *ptd, const void *key, uint32_t cbKey);

/* ---- shared by the table-cursor files (cursor.c, table.c, update.c, retrieve.c, index.c) ---- */

/* isam_cursor.positioned (meaning: the comment at the top of cursor.c) */
#define POS_NONE   0
#define POS_ON     1
#define POS_BEFORE 2
#define POS_AFTER  3
/* ESENT's deferred "move to first" (its engine's locDeferMoveFirst): where
 * JetOpenTable, JetCreateTable, JetDupCursor and JetSetCurrentIndex leave a
 * cursor.  The first call that needs a record settles it on the first entry
 * of the current index (isam_cur_on); JET_MoveNext / JET_MovePrevious settle
 * first, then move.  On an empty index it stays deferred. */
#define POS_DEFER  4

/* JET_errSuccess when pcur is ON a record, after settling a deferred cursor
 * (POS_DEFER); else JET_errNoCurrentRecord, or the error of the move. */
JET_ERR isam_cur_settle(isam_sess *psess, isam_cursor *pcur);
static inline JET_ERR isam_cur_on(isam_sess *psess, isam_cursor *pcur)
{
    if (pcur->positioned == POS_ON)
        return JET_errSuccess;
    return pcur->positioned == POS_DEFER ? isam_cur_settle(psess, pcur) : JET_errNoCurrentRecord;
}

/* The current secondary index (NULL: the primary index). */
static inline idx_def *cur_idx(isam_cursor *pcur)
{
    return pcur->objidIdx ? idx_by_objid(pcur->td, pcur->objidIdx) : NULL;
}

/* Length of the normalized-key part of the current node key (a non-unique
 * secondary index appends the primary bookmark to it). */
static inline uint32_t cur_keypart(isam_cursor *pcur)
{
    idx_def *pidx = cur_idx(pcur);
    if (pidx && !(pidx->grbit & JET_bitIndexUnique) && pcur->cbKeyCur >= pcur->cbBm)
        return pcur->cbKeyCur - pcur->cbBm;
    return pcur->cbKeyCur;
}

/* Largest primary key / bookmark of a table on this page size. */
static inline uint32_t primary_key_max(isam_db *pdb)
{
    uint32_t cb = cache_page_size(pdb->env.pc) / 4;
    return cb > JET_cbKeyMost ? JET_cbKeyMost : cb;
}

/* Key bytes of the current index (primary keys: JET_cbKeyMost). */
static inline uint32_t key_max(isam_cursor *pcur)
{
    idx_def *pidx = cur_idx(pcur);
    return pidx ? pidx->cbKeyMost : primary_key_max(pcur->db);
}

/* Index or column definitions changed: every cursor reloads them (isam_sync_indexes). */
static inline void bump_schema(isam_sess *psess, isam_db *pdb)
{
    os_mutex_lock(&psess->inst->lock);
    pdb->schemaGen++;
    os_mutex_unlock(&psess->inst->lock);
}

/* A database this session opened, or NULL. */
static inline isam_db *sess_db(isam_sess *psess, JET_DBID dbid)
{
    if (dbid == 0 || dbid > ISAM_MAX_DBID || psess->dbopen[dbid] == 0)
        return NULL;
    return db_get(psess->inst, dbid);
}

static inline int is_long(const col_info *pci)
{
    return pci->rc.coltyp == JET_coltypLongText || pci->rc.coltyp == JET_coltypLongBinary;
}

/* One fixed-size answer of an info call: JET_errBufferTooSmall when it does not fit. */
static inline JET_ERR info_put(void *pv, uint32_t cbMax, const void *pvValue, uint32_t cb)
{
    if (cbMax < cb)
        return JET_errBufferTooSmall;
    memcpy(pv, pvValue, cb);
    return JET_errSuccess;
}

/* inst.c */
JET_ERR  isam_open_writer(isam_inst *pinst);
/* Move the checkpoint to lsn (never backwards: CP2) once every database
 * page changed before lsn is flushed and synced (the caller's duty: CP1);
 * records genMinRequired in the headers first (CP3). */
JET_ERR  isam_set_checkpoint(isam_inst *pinst, lsn_t lsn);
/* F1: remember an I/O failure that makes the instance unusable (not
 * JET_errOutOfMemory: nothing was written then); returns err. */
JET_ERR  isam_fatal(isam_inst *pinst, JET_ERR err);
JET_ERR  isam_open_writer_after(isam_inst *pinst, const log_header *pafter);
/* Tell the log which databases are attached (new generation headers and the
 * checkpoint carry the list, so replay knows them from its first record). */
void     isam_update_attach(isam_inst *pinst);

/* recovery.c */
JET_ERR  recovery_run(isam_inst *pinst, int *pfRan);

#endif /* ESEPY_ISAM_INT_H */
