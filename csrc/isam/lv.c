/*
 * lv.c -- long values: LongText / LongBinary values kept out of their record
 * in the table's long-value tree, in fixed-size chunks, read and written in
 * pieces so a value of up to 2 GiB never has to be in memory at once.
 *
 * Owns: the long-value tree format (below), long-value ids (lids) and the
 * record reference format (LV_REF_SIZE bytes, isam_int.h); the overflow
 * lids of records too big for a node (O1-O3 at the end of this file).
 * Must not touch: the record format (record.c), catalog rows, version chains,
 * pages (every node changes through ver.c's rec_op_*, so long values are
 * versioned, logged before the page changes, undone by rollback and redone
 * or undone by recovery with no log record type of their own).
 *
 * Tree (one per table, created with the table, root in the catalog's table
 * row; keys big-endian, data little-endian):
 *     key lid (u64)                -> root:  u32 cref, u32 cbChunk, u64 cb
 *     key lid (u64) ichunk (u32)   -> chunk: bytes [ichunk * cbChunk, + cbChunk)
 *                                     of the value; the last chunk is shorter;
 *                                     chunks exist exactly for ichunk <
 *                                     ceil(cb / cbChunk)
 * Record reference (a tagged value flagged REC_TAG_SEPARATED): u64 lid,
 * u64 cb (the size, so retrieving it needs no tree access).
 *
 * Invariants:
 *   L1. Copy on write: a lid referenced by a stored record never changes its
 *       bytes.  Changing a separated value in a prepared update makes a new
 *       lid (lv_copy) owned by that update (isam_cursor.plidNew) and changes
 *       that one; so an index key computed from a value (index.c reads the
 *       leading bytes) is the same whenever it is recomputed.
 *   L2. cref counts the stored records referring to the lid, plus 1 while a
 *       prepared update owns it; the root and chunks are deleted when it
 *       drops to 0.  JET_prepInsertCopy shares lids (lv_addref at JetUpdate).
 *   L3. A new lid is 1 + the largest lid in the tree (uncommitted nodes
 *       included); two sessions racing for one lid collide on the root's
 *       insert (write conflict / duplicate) and the loser takes the next.
 *   L4. Chunks are written only for a lid that no stored record refers to
 *       (L1): only the prepared update that owns it reaches it.  So a new
 *       chunk is inserted with rec_op_insert_private (ver.c V3): no version,
 *       8 bytes of undo information in the version store, whatever its size.
 *       A transaction can therefore insert long values of many megabytes with
 *       the default version store.  (Replacing a chunk in place -- the last,
 *       partly filled chunk on an append, or JET_bitSetOverwriteLV on the
 *       update's own lid -- keeps a full version with the chunk's old bytes.)
 *   L5. Deleting a lid (cref 0) flag-deletes its root alone, as a cascade
 *       delete (ver.c V2): its chunks are never changed, so a snapshot that
 *       still sees the root reads them as they are, and the version store
 *       holds one version for the whole value; cleanup removes the chunks,
 *       then the root, once no snapshot sees the root.  Only then can the lid
 *       be reused (L3 sees the root until it goes).  A crash before that
 *       cleanup leaves the root flag-deleted and its chunks in the tree:
 *       space, never data.
 * Limits: a crash while an update prepared outside a transaction owns lids,
 * or between the commit of a lid's delete and its cleanup (L5), leaves
 * their nodes in the tree (space only: no record refers to them).
 */
#include "isam_int.h"

#include <string.h>

#define LV_ROOT_SIZE 16
#define LV_MAX_SIZE  0x7FFFFFFFULL /* 2 GiB - 1 */

void lv_ref_make(uint8_t ref[LV_REF_SIZE], uint64_t lid, uint64_t cb)
{
    for (int i = 0; i < 8; i++) {
        ref[i] = (uint8_t)(lid >> (8 * i));
        ref[8 + i] = (uint8_t)(cb >> (8 * i));
    }
}

int lv_ref_parse(const void *pv, uint32_t cb, uint64_t *plid, uint64_t *pcb)
{
    if (cb != LV_REF_SIZE)
        return 0;
    const uint8_t *p = pv;
    uint64_t lid = 0, size = 0;
    for (int i = 7; i >= 0; i--) {
        lid = (lid << 8) | p[i];
        size = (size << 8) | p[8 + i];
    }
    *plid = lid;
    *pcb = size;
    return lid != 0 && size <= LV_MAX_SIZE;
}

/* The chunk size of a new lid: a chunk and its 12-byte key fill a node of
 * the largest size (T5), so four chunks fill a page.  (Until issue 20 it was
 * rounded down to a multiple of 64: 960 instead of 990 bytes on 4 KiB pages,
 * 3% more chunks, pages and log records per value.)  Each lid's root records
 * its own cbChunk and every reader and writer uses that one, so lids written
 * with the old size stay readable and writable: no format change. */
static uint32_t chunk_size(isam_db *pdb)
{
    return bt_node_max(cache_page_size(pdb->env.pc)) - 12;
}

uint32_t lv_intrinsic_max(isam_db *pdb)
{
    uint32_t cbRecMax = bt_node_max(cache_page_size(pdb->env.pc)) - JET_cbKeyMost;
    return cbRecMax / 4;
}

static uint32_t lv_key(uint64_t lid, int fChunk, uint32_t ichunk, uint8_t key[12])
{
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(lid >> (56 - 8 * i));
    if (!fChunk)
        return 8;
    for (int i = 0; i < 4; i++)
        key[8 + i] = (uint8_t)(ichunk >> (24 - 8 * i));
    return 12;
}

typedef struct lv_root {
    uint32_t cref, cbChunk;
    uint64_t cb;
} lv_root;

static JET_ERR tree_of(table_def *ptd)
{
    return ptd->pgnoLV ? JET_errSuccess : JET_errFeatureNotAvailable; /* a table from before long-value trees */
}

static JET_ERR root_read(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, lv_root *pr)
{
    uint8_t key[12];
    rec_buf b = { 0 };
    JET_ERR err = rec_read_visible(psess, pdb, ptd->pgnoLV, key, lv_key(lid, 0, 0, key), &b);
    if (err == JET_errRecordNotFound)
        err = JET_errLVCorrupted;
    if (err >= 0 && b.cb != LV_ROOT_SIZE)
        err = JET_errLVCorrupted;
    if (err >= 0) {
        pr->cref = le_get32(b.pb);
        pr->cbChunk = le_get32(b.pb + 4);
        pr->cb = le_get64(b.pb + 8);
        if (pr->cbChunk == 0 || pr->cb > LV_MAX_SIZE)
            err = JET_errLVCorrupted;
    }
    rec_free(&b);
    return err;
}

static JET_ERR root_write(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, const lv_root *pr,
                          int fInsert)
{
    uint8_t key[12], d[LV_ROOT_SIZE];
    uint32_t cbKey = lv_key(lid, 0, 0, key);
    le_put32(d, pr->cref);
    le_put32(d + 4, pr->cbChunk);
    le_put64(d + 8, pr->cb);
    return fInsert ? rec_op_insert(psess, pdb, ptd->pgnoLV, key, cbKey, d, sizeof(d))
                   : rec_op_replace(psess, pdb, ptd->pgnoLV, key, cbKey, d, sizeof(d));
}

/* A new empty lid with cref 1 (L3). */
static JET_ERR lv_new(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t *plid, lv_root *pr)
{
    bt_cursor *bc = NULL;
    JET_ERR err = bt_cursor_open(&pdb->env, ptd->pgnoLV, &bc);
    if (err < 0)
        return err;
    uint64_t lid = 1;
    err = bt_last(bc);
    if (err >= 0) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err >= 0 && cbk >= 8) {
            uint64_t last = 0;
            for (int i = 0; i < 8; i++)
                last = (last << 8) | ((const uint8_t *)pk)[i];
            lid = last + 1;
        }
    }
    bt_cursor_close(bc);
    if (err < 0 && err != JET_errRecordNotFound && err != JET_errNoCurrentRecord)
        return err;
    pr->cref = 1;
    pr->cbChunk = chunk_size(pdb);
    pr->cb = 0;
    for (int attempt = 0; attempt < 64; attempt++, lid++) {
        err = root_write(psess, pdb, ptd, lid, pr, 1);
        if (err != JET_errKeyDuplicate && err != JET_errWriteConflict)
            break;
    }
    if (err >= 0)
        *plid = lid;
    return err;
}

/* Bytes of chunk ichunk in a value of size cb. */
static uint32_t chunk_len(const lv_root *pr, uint64_t cb, uint32_t ichunk)
{
    uint64_t start = (uint64_t)ichunk * pr->cbChunk;
    if (start >= cb)
        return 0;
    return cb - start < pr->cbChunk ? (uint32_t)(cb - start) : pr->cbChunk;
}

/* Overwrite/extend the chunks of lid with pv/cb at ib <= pr->cb (root not written). */
static JET_ERR write_chunks(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, lv_root *pr, uint64_t ib,
                            const void *pv, uint32_t cb)
{
    if (ib > pr->cb)
        return JET_errColumnNoChunk;
    if (ib + cb > LV_MAX_SIZE)
        return JET_errColumnTooBig;
    uint8_t *buf = os_malloc(pr->cbChunk);
    if (buf == NULL)
        return JET_errOutOfMemory;
    rec_buf old = { 0 };
    JET_ERR err = JET_errSuccess;
    const uint8_t *src = pv;
    while (cb > 0 && err >= 0) {
        uint32_t ichunk = (uint32_t)(ib / pr->cbChunk), off = (uint32_t)(ib % pr->cbChunk);
        uint32_t have = chunk_len(pr, pr->cb, ichunk);
        uint32_t n = pr->cbChunk - off < cb ? pr->cbChunk - off : cb;
        uint8_t key[12];
        uint32_t cbKey = lv_key(lid, 1, ichunk, key);
        uint32_t cbNew = off + n > have ? off + n : have;
        if (have > 0 && (off > 0 || n < have)) {
            err = rec_read_visible(psess, pdb, ptd->pgnoLV, key, cbKey, &old);
            if (err >= 0 && old.cb != have)
                err = JET_errLVCorrupted;
            if (err >= 0)
                memcpy(buf, old.pb, have);
        }
        if (err >= 0 && have == 0 && off == 0) {
            /* L4: a new chunk of a lid no stored record refers to, all of it
             * from the caller's bytes: inserted from there (no copy) */
            err = rec_op_insert_private(psess, pdb, ptd->pgnoLV, key, cbKey, src, n);
        } else if (err >= 0) {
            memcpy(buf + off, src, n);
            err = have ? rec_op_replace(psess, pdb, ptd->pgnoLV, key, cbKey, buf, cbNew)
                       : rec_op_insert_private(psess, pdb, ptd->pgnoLV, key, cbKey, buf, cbNew); /* L4 */
        }
        if (err >= 0) {
            src += n;
            cb -= n;
            ib += n;
            if (ib > pr->cb)
                pr->cb = ib;
        }
    }
    rec_free(&old);
    os_free(buf);
    return err;
}

JET_ERR lv_create(isam_sess *psess, isam_db *pdb, table_def *ptd, const void *pv, uint32_t cb, uint64_t *plid)
{
    JET_ERR err = tree_of(ptd);
    lv_root r;
    uint64_t lid = 0;
    if (err >= 0)
        err = lv_new(psess, pdb, ptd, &lid, &r);
    if (err >= 0 && cb > 0) {
        err = write_chunks(psess, pdb, ptd, lid, &r, 0, pv, cb);
        if (err >= 0)
            err = root_write(psess, pdb, ptd, lid, &r, 0);
    }
    if (err >= 0)
        *plid = lid;
    return err;
}

JET_ERR lv_read(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t ib, void *pv, uint32_t cb,
                uint32_t *pcbRead)
{
    *pcbRead = 0;
    lv_root r;
    JET_ERR err = tree_of(ptd);
    if (err >= 0)
        err = root_read(psess, pdb, ptd, lid, &r);
    if (err < 0)
        return err;
    rec_buf b = { 0 };
    uint8_t *dst = pv;
    /* The chunks of a lid follow each other in key order: one seek to the
     * first one read, then a step to the next node for each further chunk
     * (issue 20: every chunk was two lookups from the root).  A step that
     * does not land on the next chunk's key seeks it. */
    bt_cursor *bc = NULL;
    int fOn = 0; /* bc is on the previous chunk */
    while (cb > 0 && ib < r.cb && err >= 0) {
        uint32_t ichunk = (uint32_t)(ib / r.cbChunk), off = (uint32_t)(ib % r.cbChunk);
        uint32_t have = chunk_len(&r, r.cb, ichunk);
        uint8_t key[12];
        uint32_t cbKey = lv_key(lid, 1, ichunk, key);
        if (bc == NULL)
            err = bt_cursor_open(&pdb->env, ptd->pgnoLV, &bc);
        const void *pk = NULL, *pd = NULL;
        uint32_t cbk = 0, cbd = 0, fl = 0;
        if (err >= 0 && fOn) {
            err = bt_next(bc);
            if (err >= 0)
                err = bt_current(bc, &pk, &cbk, &pd, &cbd, &fl);
            if (err == JET_errRecordNotFound || (err >= 0 && (cbk != cbKey || memcmp(pk, key, cbKey) != 0))) {
                fOn = 0;
                err = JET_errSuccess;
            }
        }
        if (err >= 0 && !fOn) {
            err = bt_seek(bc, key, cbKey, BT_SEEK_EQ);
            if (err >= 0)
                err = bt_current(bc, &pk, &cbk, &pd, &cbd, &fl);
        }
        fOn = err >= 0;
        if (err >= 0)
            err = rec_visible(psess, pdb, ptd->pgnoLV, key, cbKey, pd, cbd, fl, &b);
        if (err == JET_errRecordNotFound || (err >= 0 && b.cb != have))
            err = JET_errLVCorrupted;
        if (err < 0)
            break;
        uint32_t n = have - off < cb ? have - off : cb;
        memcpy(dst, b.pb + off, n);
        dst += n;
        cb -= n;
        ib += n;
        *pcbRead += n;
    }
    if (bc)
        bt_cursor_close(bc);
    rec_free(&b);
    return err;
}

JET_ERR lv_write(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t *pcbSize, uint64_t ib,
                 const void *pv, uint32_t cb)
{
    lv_root r;
    JET_ERR err = tree_of(ptd);
    if (err >= 0)
        err = root_read(psess, pdb, ptd, lid, &r);
    if (err >= 0)
        err = write_chunks(psess, pdb, ptd, lid, &r, ib, pv, cb);
    if (err >= 0)
        err = root_write(psess, pdb, ptd, lid, &r, 0);
    if (err >= 0)
        *pcbSize = r.cb;
    return err;
}

JET_ERR lv_set_size(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t *pcbSize, uint64_t cbNew)
{
    if (cbNew > LV_MAX_SIZE)
        return JET_errColumnTooBig;
    lv_root r;
    JET_ERR err = tree_of(ptd);
    if (err >= 0)
        err = root_read(psess, pdb, ptd, lid, &r);
    if (err < 0)
        return err;
    if (cbNew > r.cb) {
        uint8_t *zero = os_calloc(1, r.cbChunk);
        if (zero == NULL)
            return JET_errOutOfMemory;
        while (err >= 0 && r.cb < cbNew) {
            uint64_t n = cbNew - r.cb < r.cbChunk ? cbNew - r.cb : r.cbChunk;
            err = write_chunks(psess, pdb, ptd, lid, &r, r.cb, zero, (uint32_t)n);
        }
        os_free(zero);
    } else if (cbNew < r.cb) {
        uint32_t cOld = (uint32_t)((r.cb + r.cbChunk - 1) / r.cbChunk);
        uint32_t cNew = (uint32_t)((cbNew + r.cbChunk - 1) / r.cbChunk);
        uint8_t key[12];
        for (uint32_t i = cNew; err >= 0 && i < cOld; i++)
            err = rec_op_delete(psess, pdb, ptd->pgnoLV, key, lv_key(lid, 1, i, key));
        uint32_t last = cNew ? chunk_len(&r, cbNew, cNew - 1) : 0;
        if (err >= 0 && cNew > 0 && last != chunk_len(&r, r.cb, cNew - 1)) {
            rec_buf b = { 0 };
            uint32_t cbKey = lv_key(lid, 1, cNew - 1, key);
            err = rec_read_visible(psess, pdb, ptd->pgnoLV, key, cbKey, &b);
            if (err >= 0 && b.cb < last)
                err = JET_errLVCorrupted;
            if (err >= 0)
                err = rec_op_replace(psess, pdb, ptd->pgnoLV, key, cbKey, b.pb, last);
            rec_free(&b);
        }
        if (err >= 0)
            r.cb = cbNew;
    }
    if (err >= 0)
        err = root_write(psess, pdb, ptd, lid, &r, 0);
    if (err >= 0)
        *pcbSize = r.cb;
    return err;
}

JET_ERR lv_copy(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid, uint64_t cb, uint64_t *plidNew)
{
    lv_root r, rn;
    uint64_t lidNew = 0;
    JET_ERR err = tree_of(ptd);
    if (err >= 0)
        err = root_read(psess, pdb, ptd, lid, &r);
    if (err >= 0 && cb > r.cb)
        err = JET_errLVCorrupted;
    if (err >= 0)
        err = lv_new(psess, pdb, ptd, &lidNew, &rn);
    uint8_t *buf = err >= 0 ? os_malloc(r.cbChunk) : NULL;
    if (err >= 0 && buf == NULL)
        err = JET_errOutOfMemory;
    for (uint64_t ib = 0; err >= 0 && ib < cb;) {
        uint32_t n = 0, want = cb - ib < r.cbChunk ? (uint32_t)(cb - ib) : r.cbChunk;
        err = lv_read(psess, pdb, ptd, lid, ib, buf, want, &n);
        if (err >= 0 && n != want)
            err = JET_errLVCorrupted;
        if (err >= 0)
            err = write_chunks(psess, pdb, ptd, lidNew, &rn, ib, buf, n);
        ib += n;
    }
    os_free(buf);
    if (err >= 0)
        err = root_write(psess, pdb, ptd, lidNew, &rn, 0);
    if (err >= 0)
        *plidNew = lidNew;
    return err;
}

JET_ERR lv_addref(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid)
{
    lv_root r;
    JET_ERR err = tree_of(ptd);
    if (err >= 0)
        err = root_read(psess, pdb, ptd, lid, &r);
    if (err >= 0) {
        r.cref++;
        err = root_write(psess, pdb, ptd, lid, &r, 0);
    }
    return err;
}

JET_ERR lv_release(isam_sess *psess, isam_db *pdb, table_def *ptd, uint64_t lid)
{
    lv_root r;
    JET_ERR err = tree_of(ptd);
    if (err >= 0)
        err = root_read(psess, pdb, ptd, lid, &r);
    if (err < 0)
        return err;
    if (r.cref > 1) {
        r.cref--;
        return root_write(psess, pdb, ptd, lid, &r, 0);
    }
    /* L5: the chunks stay as they are for the snapshots that still see the
     * root, and go with it at cleanup */
    uint8_t key[12];
    return rec_op_delete_cascade(psess, pdb, ptd->pgnoLV, key, lv_key(lid, 0, 0, key));
}

typedef struct ref_walk {
    JET_ERR (*fn)(void *ctx, uint64_t lid);
    void *ctx;
} ref_walk;

static JET_ERR ref_one(void *ctx, JET_COLUMNID columnid, uint32_t itag, const void *pv, uint32_t cb, uint32_t flags)
{
    (void)columnid;
    (void)itag;
    ref_walk *w = ctx;
    uint64_t lid, size;
    if (!(flags & REC_TAG_SEPARATED))
        return JET_errSuccess;
    if (!lv_ref_parse(pv, cb, &lid, &size))
        return JET_errLVCorrupted;
    return w->fn(w->ctx, lid);
}

JET_ERR lv_for_each_ref(const rec_buf *prec, JET_ERR (*fn)(void *ctx, uint64_t lid), void *ctx)
{
    ref_walk w = { fn, ctx };
    if (prec->cb == 0)
        return JET_errSuccess;
    return rec_enum_tagged(prec->pb, prec->cb, ref_one, &w);
}

/* ------------------------------------------------------------------------ */
/* Record overflow (record.c R-OVF)                                          */
/* ------------------------------------------------------------------------ */
/*
 * A record larger than lv_record_node_max (a btree node's data at most, T5)
 * keeps its fixed and variable parts in its node and its tagged area in a lid
 * of this tree: the record's overflow lid, referenced as an ordinary lid
 * (lv_ref_make: lid, size) from the record's overflow form.  Invariants:
 *   O1. An overflow lid belongs to exactly one stored record (cref 1): every
 *       JetUpdate that stores an oversized record makes a new one (copy on
 *       write, as L1), and the replace or delete that takes the record's
 *       image away releases the old one (lv_ovf_release), in the same
 *       transaction, so rollback and recovery keep record and lid together.
 *   O2. Separated long values inside the moved tagged area are counted as
 *       any record's (L2): every caller works on the expanded record, whose
 *       references lv_for_each_ref walks; the overflow lid itself is never
 *       among them.
 *   O3. The database header carries DB_INCOMPAT_RECORD_OVERFLOW (F1) before
 *       the first record in overflow form is written (db_set_incompat), and
 *       only then does any reader look for the form (incompatSeen): files
 *       without the bit pay nothing.
 */

uint32_t lv_record_node_max(isam_db *pdb)
{
    return bt_node_max(cache_page_size(pdb->env.pc)) - JET_cbKeyMost;
}

uint32_t lv_record_logical_max(isam_db *pdb)
{
    return 4 * cache_page_size(pdb->env.pc);
}

static int may_overflow(isam_db *pdb)
{
    return (atomic_load(&pdb->incompatSeen) & DB_INCOMPAT_RECORD_OVERFLOW) != 0;
}

JET_ERR lv_ovf_expand(isam_sess *psess, isam_db *pdb, table_def *ptd, rec_buf *prec)
{
    const uint8_t *pref = NULL;
    if (!may_overflow(pdb) || prec->cb == 0 || rec_ovf_ref(prec->pb, prec->cb, &pref) <= 0)
        return JET_errSuccess; /* not the form (a malformed record: the reader reports it) */
    uint64_t lid, cb;
    if (!lv_ref_parse(pref, REC_OVF_REF_SIZE, &lid, &cb) || cb == 0 || cb > LV_MAX_SIZE)
        return JET_errLVCorrupted;
    JET_ERR err = tree_of(ptd);
    if (err < 0)
        return JET_errLVCorrupted;
    uint8_t *pb = os_malloc((size_t)cb);
    if (pb == NULL)
        return JET_errOutOfMemory;
    uint32_t n = 0;
    err = lv_read(psess, pdb, ptd, lid, 0, pb, (uint32_t)cb, &n);
    if (err >= 0 && n != cb)
        err = JET_errLVCorrupted;
    if (err >= 0)
        err = rec_ovf_expand(prec, pb, (uint32_t)cb);
    os_free(pb);
    return err;
}

JET_ERR lv_ovf_store(isam_sess *psess, isam_db *pdb, table_def *ptd, const rec_buf *prec, rec_buf *pstored,
                     int *pfStored)
{
    *pfStored = 0;
    uint32_t cbMax = lv_record_node_max(pdb);
    if (prec->cb <= cbMax)
        return JET_errSuccess; /* fits: stored as it is (format version 1 bytes) */
    uint32_t ibTagged = 0;
    JET_ERR err = rec_tagged_split(prec->pb, prec->cb, &ibTagged);
    if (err < 0)
        return err;
    /* what must stay in the node: the fixed and variable parts, the reference */
    if (ibTagged == 0 || ibTagged == prec->cb || (uint64_t)ibTagged + 2 + REC_OVF_REF_SIZE > cbMax ||
        tree_of(ptd) < 0)
        return JET_errRecordTooBig;
    err = db_set_incompat(psess->inst, pdb, DB_INCOMPAT_RECORD_OVERFLOW); /* O3 */
    uint64_t lid = 0;
    if (err >= 0)
        err = lv_create(psess, pdb, ptd, prec->pb + ibTagged, prec->cb - ibTagged, &lid); /* O1 */
    if (err < 0)
        return err;
    uint8_t ref[LV_REF_SIZE];
    lv_ref_make(ref, lid, prec->cb - ibTagged);
    err = rec_ovf_make(prec->pb, prec->cb, ref, pstored);
    if (err >= 0)
        *pfStored = 1;
    return err; /* on error the caller's transaction takes the lid back */
}

JET_ERR lv_ovf_release(isam_sess *psess, isam_db *pdb, table_def *ptd, const void *key, uint32_t cbKey)
{
    if (!may_overflow(pdb))
        return JET_errSuccess;
    rec_buf raw = { 0 };
    JET_ERR err = rec_read_visible(psess, pdb, ptd->pgnoRoot, key, cbKey, &raw);
    const uint8_t *pref = NULL;
    if (err >= 0 && raw.cb && rec_ovf_ref(raw.pb, raw.cb, &pref) > 0) {
        uint64_t lid, cb;
        err = lv_ref_parse(pref, REC_OVF_REF_SIZE, &lid, &cb) ? lv_release(psess, pdb, ptd, lid) : JET_errLVCorrupted;
    }
    rec_free(&raw);
    return err;
}
