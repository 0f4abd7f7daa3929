/*
 * index.c -- secondary indexes: key definitions, the entries a record
 * contributes to an index, keeping indexes in step with record changes, and
 * building an index over a table's existing records; and index DDL through a
 * cursor (the primary index at table creation, JetCreateIndex*, JetDeleteIndex,
 * JetGetIndexInfo, the index list of isam_list_indexes).
 *
 * Owns: the entry format of secondary index trees:
 *     unique index       key = normalized key              data = primary bookmark
 *     non-unique index   key = normalized key + bookmark   data = length of the bookmark:
 *                        u16 LE (2 bytes), or 1 byte (1..255) in files with
 *                        DB_INCOMPAT_INDEX_COMPACT (K8); readers take both
 * A unique index thus holds one node per key value, so two records with the
 * same key collide in the btree (JET_errKeyDuplicate, or JET_errWriteConflict
 * while the other change is uncommitted) through the ordinary versioned
 * record operations of ver.c.  Normalized keys are built by key.c and cut at
 * idx_def.cbKeyMost bytes (ESE's key truncation).
 * Must not touch: catalog rows (catalog.c), cursor positions (cursor.c; the
 * DDL here only reads which index a cursor is on), pages, version chains.
 *
 * Invariant X1: for every record visible to a snapshot, exactly the entries
 * idx_entry_keys computes from it are visible to that snapshot in every
 * secondary index of its table.  Entries are changed with rec_op_* inside the
 * same transaction (and savepoint) as the record, so commit, rollback and
 * recovery's undo keep X1 along with the record.
 */
#include "isam_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

idx_def *idx_by_name_any(table_def *ptd, const char *szName)
{
    char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, a))
        return NULL;
    for (uint32_t i = 0; i < ptd->cidx; i++)
        if (cat_name_fold(ptd->idxs[i].name, b) && strcmp(a, b) == 0)
            return &ptd->idxs[i];
    return NULL;
}

idx_def *idx_by_name(table_def *ptd, const char *szName)
{
    idx_def *pidx = idx_by_name_any(ptd, szName);
    return pidx && pidx->fNavigable ? pidx : NULL;
}

idx_def *idx_by_objid(table_def *ptd, uint32_t objid)
{
    for (uint32_t i = 0; i < ptd->cidx; i++)
        if (ptd->idxs[i].objid == objid)
            return &ptd->idxs[i];
    return NULL;
}

JET_ERR idx_parse_key(table_def *ptd, const char *szKey, uint32_t cbKey, JET_GRBIT grbit, uint32_t segflagsAll,
                      key_seg *segs, uint32_t *pcseg)
{
    /* "+col\0-col\0\0": cbKey counts both final NULs. */
    if (szKey == NULL || cbKey < 3 || szKey[cbKey - 1] != '\0' || szKey[cbKey - 2] != '\0')
        return JET_errIndexInvalidDef;
    uint32_t cseg = 0, i = 0;
    while (i < cbKey - 1 && szKey[i] != '\0') {
        const char *tok = szKey + i;
        size_t len = strnlen(tok, cbKey - i);
        uint32_t segflags = segflagsAll;
        if (tok[0] == '-') {
            segflags |= KEY_SEG_DESCENDING;
            tok++;
        } else if (tok[0] == '+') {
            tok++;
        }
        col_info *pci = col_by_name(ptd, tok);
        if (pci == NULL)
            return JET_errColumnNotFound;
        if (pci->rc.grbit & JET_bitColumnEscrowUpdate)
            return JET_errCannotIndex;
        if (pci->pbUdd)
            return JET_errFeatureNotAvailable; /* keys of user-defined defaults (table.c UD1) */
        if (cseg >= JET_ccolKeyMost)
            return JET_errTooManyKeys;
        for (uint32_t j = 0; j < cseg; j++)
            if (segs[j].columnid == pci->rc.columnid)
                return JET_errIndexInvalidDef;
        if (grbit & JET_bitIndexSortNullsHigh)
            segflags |= KEY_SEG_SORTNULLSHIGH;
        segs[cseg].columnid = pci->rc.columnid;
        segs[cseg].segflags = segflags;
        cseg++;
        i += (uint32_t)len + 1;
    }
    if (cseg == 0)
        return JET_errIndexInvalidDef;
    *pcseg = cseg;
    return JET_errSuccess;
}

/* ---- entry keys -------------------------------------------------------------- */

void idx_keys_init(idx_keys *pk)
{
    pk->pb = pk->pbInl;
    pk->cb = 0;
    pk->cbAlloc = IDX_KEYS_INLINE_CB;
    pk->off = pk->offInl;
    pk->len = pk->lenInl;
    pk->n = 0;
    pk->nAlloc = IDX_KEYS_INLINE_N;
}

void idx_keys_free(idx_keys *pk)
{
    if (pk->pb != pk->pbInl)
        os_free(pk->pb);
    if (pk->off != pk->offInl)
        os_free(pk->off);
    if (pk->len != pk->lenInl)
        os_free(pk->len);
    pk->pb = NULL;
    pk->off = pk->len = NULL;
    pk->cb = pk->cbAlloc = pk->n = pk->nAlloc = 0;
}

/* Grow *pp (cbOld bytes used) to cbNew bytes; the inline room is copied out. */
static void *keys_grow(void *p, const void *inl, size_t cbOld, size_t cbNew)
{
    if (p != inl)
        return os_realloc(p, cbNew);
    void *q = os_malloc(cbNew);
    if (q != NULL && cbOld)
        memcpy(q, p, cbOld);
    return q;
}

static JET_ERR keys_add(idx_keys *pk, const uint8_t *key, uint32_t cb)
{
    if (pk->n == pk->nAlloc) {
        uint32_t n = pk->nAlloc ? 2 * pk->nAlloc : 4;
        uint32_t *o = keys_grow(pk->off, pk->offInl, pk->n * sizeof(uint32_t), n * sizeof(uint32_t));
        if (o == NULL)
            return JET_errOutOfMemory;
        pk->off = o;
        uint32_t *l = keys_grow(pk->len, pk->lenInl, pk->n * sizeof(uint32_t), n * sizeof(uint32_t));
        if (l == NULL)
            return JET_errOutOfMemory;
        pk->len = l;
        pk->nAlloc = n;
    }
    if (pk->cb + cb > pk->cbAlloc) {
        uint32_t n = 2 * (pk->cb + cb) + 64;
        uint8_t *p = keys_grow(pk->pb, pk->pbInl, pk->cb, n);
        if (p == NULL)
            return JET_errOutOfMemory;
        pk->pb = p;
        pk->cbAlloc = n;
    }
    /* keep one copy of each key (multi-valued columns may repeat a key) */
    for (uint32_t i = 0; i < pk->n; i++)
        if (pk->len[i] == cb && memcmp(pk->pb + pk->off[i], key, cb) == 0)
            return JET_errSuccess;
    memcpy(pk->pb + pk->cb, key, cb);
    pk->off[pk->n] = pk->cb;
    pk->len[pk->n] = cb;
    pk->cb += cb;
    pk->n++;
    return JET_errSuccess;
}

static int keys_has(const idx_keys *pk, const uint8_t *key, uint32_t cb)
{
    for (uint32_t i = 0; i < pk->n; i++)
        if (pk->len[i] == cb && memcmp(pk->pb + pk->off[i], key, cb) == 0)
            return 1;
    return 0;
}

/* Leading bytes of a separated long value that can reach an index key: every
 * value byte makes at least half a key byte (UTF-16 text), so twice the
 * largest key plus a margin is enough. */
#define LV_KEY_BYTES (2 * JET_cbKeyMost8KBytePage + 16)

/* Value of column pci, value number itag, with the default for a missing first
 * value.  A separated long value is read into *ppScratch (LV_KEY_BYTES, owned
 * by the caller) through lv_read: its bytes never change (lv.c L1). */
static JET_ERR seg_value(isam_sess *psess, isam_db *pdb, table_def *ptd, const uint8_t *pbRec, uint32_t cbRec,
                         const col_info *pci, uint32_t itag, const void **ppv, uint32_t *pcb, uint8_t **ppScratch)
{
    uint32_t flags = 0;
    JET_ERR err = rec_get(pbRec, cbRec, &pci->rc, itag, ppv, pcb, &flags);
    if (err < 0)
        return err;
    if (err == JET_wrnColumnNull) {
        if (itag == 1 && pci->pbDefault) {
            *ppv = pci->pbDefault;
            *pcb = pci->cbDefault;
            return JET_errSuccess;
        }
        *ppv = NULL;
        *pcb = 0;
        return JET_errSuccess;
    }
    if (flags & REC_TAG_SEPARATED) {
        uint64_t lid, size;
        if (!lv_ref_parse(*ppv, *pcb, &lid, &size))
            return JET_errLVCorrupted;
        *ppv = NULL;
        *pcb = 0;
        if (psess == NULL || pdb == NULL)
            return JET_errFeatureNotAvailable;
        if (*ppScratch == NULL && (*ppScratch = os_malloc(LV_KEY_BYTES)) == NULL)
            return JET_errOutOfMemory;
        uint32_t n = 0;
        err = lv_read(psess, pdb, ptd, lid, 0, *ppScratch, LV_KEY_BYTES, &n);
        if (err < 0)
            return err;
        *ppv = *ppScratch;
        *pcb = n;
    }
    return JET_errSuccess;
}

/* An entry being looked for (idx_entry_itag) instead of collected. */
typedef struct entry_match {
    const uint8_t *key;
    uint32_t       cbKey;
    uint32_t       itag;      /* out: value number of the multi-valued segment */
    JET_COLUMNID   columnid;  /* out: that segment's column (0: none) */
} entry_match;

static JET_ERR entry_keys(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, const uint8_t *pbRec,
                          uint32_t cbRec, const void *bm, uint32_t cbBm, idx_keys *pk, uint8_t **ppScratch,
                          entry_match *pm);

JET_ERR idx_entry_keys(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, const uint8_t *pbRec,
                       uint32_t cbRec, const void *bm, uint32_t cbBm, idx_keys *pk)
{
    uint8_t *scratch = NULL;
    JET_ERR err = entry_keys(psess, pdb, ptd, pidx, pbRec, cbRec, bm, cbBm, pk, &scratch, NULL);
    os_free(scratch);
    return err;
}

JET_ERR idx_entry_itag(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, const uint8_t *pbRec,
                       uint32_t cbRec, const void *bm, uint32_t cbBm, const void *key, uint32_t cbKey,
                       JET_COLUMNID *pcolumnid, uint32_t *pitag)
{
    uint8_t *scratch = NULL;
    entry_match m = { key, cbKey, 0, 0 };
    JET_ERR err = entry_keys(psess, pdb, ptd, pidx, pbRec, cbRec, bm, cbBm, NULL, &scratch, &m);
    os_free(scratch);
    if (err >= 0 && m.itag == 0)
        err = JET_errSecondaryIndexCorrupted; /* the record does not make this entry */
    if (err >= 0) {
        *pcolumnid = m.columnid;
        *pitag = m.itag;
    }
    return err;
}

static JET_ERR entry_keys(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, const uint8_t *pbRec,
                          uint32_t cbRec, const void *bm, uint32_t cbBm, idx_keys *pk, uint8_t **ppScratch,
                          entry_match *pm)
{
    if (pk) {
        pk->n = 0;
        pk->cb = 0;
    }
    /* Conditional columns: a record that fails one has no entry (ESENT reads
     * the column's first value, a default included). */
    for (uint32_t i = 0; i < pidx->ccond; i++) {
        col_info *pci = col_by_id(ptd, pidx->conds[i].columnid);
        if (pci == NULL)
            return JET_errColumnNotFound;
        const void *pv = NULL;
        uint32_t cb = 0, fl = 0;
        JET_ERR err = rec_get(pbRec, cbRec, &pci->rc, 1, &pv, &cb, &fl);
        if (err < 0)
            return err;
        int fNull = err == JET_wrnColumnNull && pci->pbDefault == NULL;
        if (fNull != ((pidx->conds[i].segflags & KEY_COND_MUSTBENULL) != 0))
            return JET_errSuccess;
    }
    /* The first multi-valued key column contributes one entry per value. */
    int segMV = -1;
    uint32_t cvalMV = 1;
    col_info *pcis[JET_ccolKeyMost];
    for (uint32_t i = 0; i < pidx->cseg; i++) {
        pcis[i] = col_by_id(ptd, pidx->segs[i].columnid);
        if (pcis[i] == NULL)
            return JET_errColumnNotFound;
        if (segMV < 0 && (pcis[i]->rc.grbit & JET_bitColumnMultiValued)) {
            uint32_t c = rec_count(pbRec, cbRec, &pcis[i]->rc);
            if (c > 1) {
                segMV = (int)i;
                cvalMV = c;
            }
        }
    }
    uint32_t cbKeyMost = pidx->cbKeyMost;
    uint8_t key[JET_cbKeyMost8KBytePage + JET_cbBookmarkMost + 16];
    if (cbKeyMost > JET_cbKeyMost8KBytePage)
        cbKeyMost = JET_cbKeyMost8KBytePage;
    for (uint32_t itagMV = 1; itagMV <= cvalMV; itagMV++) {
        uint32_t cbKey = 0, cnull = 0;
        int firstNull = 0, trunc = 0;
        for (uint32_t i = 0; i < pidx->cseg; i++) {
            const void *pv = NULL;
            uint32_t cb = 0;
            JET_ERR err = seg_value(psess, pdb, ptd, pbRec, cbRec, pcis[i], (int)i == segMV ? itagMV : 1, &pv, &cb,
                                    ppScratch);
            if (err < 0)
                return err;
            if (pv == NULL) {
                cnull++;
                if (i == 0)
                    firstNull = 1;
            }
            err = key_append_segment(key, &cbKey, cbKeyMost, &pcis[i]->rc, pv, cb, pidx->segs[i].segflags, &trunc);
            if (err < 0)
                return err;
        }
        if (cnull && (pidx->grbit & JET_bitIndexDisallowNull))
            return JET_errNullKeyDisallowed;
        if (cnull && (pidx->grbit & JET_bitIndexIgnoreAnyNull))
            continue;
        if (firstNull && (pidx->grbit & JET_bitIndexIgnoreFirstNull))
            continue;
        if (cnull == pidx->cseg && (pidx->grbit & JET_bitIndexIgnoreNull))
            continue;
        if (trunc && (pidx->grbit & JET_bitIndexDisallowTruncation))
            return JET_errKeyTruncated;
        if (!(pidx->grbit & JET_bitIndexUnique)) {
            memcpy(key + cbKey, bm, cbBm);
            cbKey += cbBm;
        }
        if (pm) {
            if (cbKey == pm->cbKey && memcmp(key, pm->key, cbKey) == 0) {
                pm->itag = itagMV;
                pm->columnid = segMV >= 0 ? pcis[segMV]->rc.columnid : 0;
                return JET_errSuccess;
            }
            continue;
        }
        JET_ERR err = keys_add(pk, key, cbKey);
        if (err < 0)
            return err;
    }
    return JET_errSuccess;
}

JET_ERR idx_entry_bookmark(const idx_def *pidx, const void *key, uint32_t cbKey, const void *data, uint32_t cbData,
                           const void **ppbm, uint32_t *pcbBm)
{
    if (pidx->grbit & JET_bitIndexUnique) {
        *ppbm = data;
        *pcbBm = cbData;
        return JET_errSuccess;
    }
    const uint8_t *d = data;
    uint32_t cb = cbData == 2 ? (uint32_t)(d[0] | (d[1] << 8)) : cbData == 1 ? d[0] : 0;
    if (cb == 0 || cb > cbKey)
        return JET_errSecondaryIndexCorrupted;
    *ppbm = (const uint8_t *)key + cbKey - cb;
    *pcbBm = cb;
    return JET_errSuccess;
}

/* The data of a non-unique entry: the bookmark's length in one byte where
 * the file allows it (K8), else in two. */
static uint32_t bm_len_encode(const isam_db *pdb, uint32_t cbBm, uint8_t len[2])
{
    len[0] = (uint8_t)cbBm;
    len[1] = (uint8_t)(cbBm >> 8);
    return cbBm <= 0xFF && (atomic_load(&pdb->incompatSeen) & DB_INCOMPAT_INDEX_COMPACT) ? 1 : 2;
}

/* ---- maintenance ------------------------------------------------------------------ */

static JET_ERR one_index_changed(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx,
                                 const void *bm, uint32_t cbBm, const rec_buf *pold, const rec_buf *pnew,
                                 idx_keys *ko, idx_keys *kn)
{
    JET_ERR err = JET_errSuccess;
    ko->n = kn->n = 0;
    if (pold)
        err = idx_entry_keys(psess, pdb, ptd, pidx, pold->pb, pold->cb, bm, cbBm, ko);
    if (err >= 0 && pnew)
        err = idx_entry_keys(psess, pdb, ptd, pidx, pnew->pb, pnew->cb, bm, cbBm, kn);
    /* deletes first, so a key that moves between records of one update works */
    for (uint32_t i = 0; err >= 0 && i < ko->n; i++) {
        const uint8_t *k = ko->pb + ko->off[i];
        if (keys_has(kn, k, ko->len[i]))
            continue;
        err = rec_op_delete(psess, pdb, pidx->pgnoRoot, k, ko->len[i]);
        if (err == JET_errRecordDeleted)
            err = JET_errSuccess; /* the entry was never made (index created after the record) */
    }
    for (uint32_t i = 0; err >= 0 && i < kn->n; i++) {
        const uint8_t *k = kn->pb + kn->off[i];
        if (keys_has(ko, k, kn->len[i]))
            continue;
        if (pidx->grbit & JET_bitIndexUnique) {
            err = rec_op_insert(psess, pdb, pidx->pgnoRoot, k, kn->len[i], bm, cbBm);
        } else {
            uint8_t len[2];
            uint32_t cbLen = bm_len_encode(pdb, cbBm, len);
            /* V7: the key ends with bm and is not among the record's old keys */
            err = rec_op_insert_fresh(psess, pdb, pidx->pgnoRoot, k, kn->len[i], len, cbLen);
        }
    }
    return err;
}

JET_ERR idx_record_changed(isam_sess *psess, isam_db *pdb, table_def *ptd, const void *bm, uint32_t cbBm,
                           const rec_buf *pold, const rec_buf *pnew)
{
    if (ptd->cidx == 0)
        return JET_errSuccess;
    idx_keys ko, kn;
    idx_keys_init(&ko);
    idx_keys_init(&kn);
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; err >= 0 && i < ptd->cidx; i++)
        err = one_index_changed(psess, pdb, ptd, &ptd->idxs[i], bm, cbBm, pold, pnew, &ko, &kn);
    idx_keys_free(&ko);
    idx_keys_free(&kn);
    return err;
}

/* An index build is an external merge sort feeding a bottom-up bulk load
 * (btree bulk.c):
 *   1. the table is read once; each visible record's entries go into an
 *      in-memory run (entries: u16 cbKey, u16 cbData, key, data);
 *   2. a run that reaches the run budget is sorted (the btree's key order)
 *      and spilled to a temporary file beside the database (through csrc/os),
 *      and the run starts over: memory stays at one run plus one pointer per
 *      entry whatever the table's size;
 *   3. a build that spilled nothing sorts its one run and loads it; else the
 *      last run is spilled too and the runs are merged (one read buffer per
 *      run, the smallest head kept at the top of a binary heap of the k
 *      heads) into the load.
 * The run budget is a quarter of the page cache's maximum size, between
 * IDX_BUILD_RUN_MIN and IDX_BUILD_RUN_MAX (so a small JET_paramCacheSizeMax
 * makes a small budget: the tests run the spill path that way).
 * A unique index whose entries repeat a key fails the load with
 * JET_errKeyDuplicate; the creation's transaction then rolls back and drops
 * the tree (reclaim.c), leaving nothing behind. */
#define IDX_BUILD_RUN_MAX (32u << 20)
#define IDX_BUILD_RUN_MIN (64u << 10)
#define IDX_BUILD_READ    (64u << 10)   /* merge read buffer per run (> any entry) */
#define IDX_BUILD_WRITE   (256u << 10)  /* spill write buffer */

typedef struct {
    uint8_t        *pb;     /* entries: u16 cbKey, u16 cbData, key, data */
    size_t          cb, cbMax;
    const uint8_t **rg;     /* one per entry, sorted before a spill or the load */
    size_t          n, nMax;
} build_run;

/* The sort of one build: the current run and the spilled ones. */
typedef struct {
    build_run run;
    size_t    cbRunMax;
    char      path[OS_PATH_MAX];
    os_file  *pf;           /* NULL until the first spill */
    uint64_t  cbFile;
    uint64_t *runEnd;       /* spilled run i is [runEnd[i-1] or 0, runEnd[i]) */
    uint32_t  cruns, crunsMax;
} build_sort;

/* The btree's key order (btree.h): memcmp, shorter is smaller. */
static int entry_cmp(const uint8_t *x, const uint8_t *y)
{
    uint32_t cx = le_get16(x), cy = le_get16(y), cb = cx < cy ? cx : cy;
    int c = cb ? memcmp(x + 4, y + 4, cb) : 0;
    return c != 0 ? c : cx < cy ? -1 : cx > cy ? 1 : 0;
}

static int run_cmp(const void *a, const void *b)
{
    return entry_cmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b);
}

static size_t entry_size(const uint8_t *p)
{
    return 4 + (size_t)le_get16(p) + le_get16(p + 2);
}

static JET_ERR run_add(build_run *r, const uint8_t *key, uint32_t cbKey, const void *data, uint32_t cbData)
{
    size_t need = 4 + (size_t)cbKey + cbData;
    if (r->cb + need > r->cbMax) {
        size_t cbNew = r->cbMax ? r->cbMax * 2 : 1u << 16;
        while (cbNew < r->cb + need)
            cbNew *= 2;
        uint8_t *pb = os_realloc(r->pb, cbNew);
        if (pb == NULL)
            return JET_errOutOfMemory;
        /* entries are addressed by offset until the sort (the arena moves) */
        r->pb = pb;
        r->cbMax = cbNew;
    }
    if (r->n == r->nMax) {
        size_t nNew = r->nMax ? r->nMax * 2 : 1024;
        const uint8_t **rg = os_realloc(r->rg, nNew * sizeof(*rg));
        if (rg == NULL)
            return JET_errOutOfMemory;
        r->rg = rg;
        r->nMax = nNew;
    }
    uint8_t *p = r->pb + r->cb;
    le_put16(p, (uint16_t)cbKey);
    le_put16(p + 2, (uint16_t)cbData);
    memcpy(p + 4, key, cbKey);
    memcpy(p + 4 + cbKey, data, cbData);
    r->rg[r->n++] = (const uint8_t *)(uintptr_t)r->cb;   /* an offset for now */
    r->cb += need;
    return JET_errSuccess;
}

/* A sort item: the entry's first 16 key bytes (big-endian, zero padded) and
 * the entry.  Padding keeps the order: a key that is a proper prefix of
 * another never gets the greater prefix, so items whose prefixes differ
 * compare as their entries do, and only equal prefixes read the entries. */
typedef struct {
    uint64_t       k0, k1;
    const uint8_t *p;
} sort_item;

static uint64_t key_word(const uint8_t *key, uint32_t cbKey, uint32_t ib)
{
    uint64_t w = 0;
    for (uint32_t i = 0; i < 8; i++)
        w = (w << 8) | (ib + i < cbKey ? key[ib + i] : 0);
    return w;
}

static int item_cmp(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->k0 != y->k0)
        return x->k0 < y->k0 ? -1 : 1;
    if (x->k1 != y->k1)
        return x->k1 < y->k1 ? -1 : 1;
    return entry_cmp(x->p, y->p);
}

static void run_sort(build_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        r->rg[i] = r->pb + (uintptr_t)r->rg[i];
    if (r->n < 2)
        return;
    sort_item *items = os_malloc(r->n * sizeof(*items));
    if (items == NULL) {        /* no room for the prefixes: the plain sort */
        qsort(r->rg, r->n, sizeof(*r->rg), run_cmp);
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        const uint8_t *p = r->rg[i];
        uint32_t cb = le_get16(p);
        items[i].k0 = key_word(p + 4, cb, 0);
        items[i].k1 = key_word(p + 4, cb, 8);
        items[i].p = p;
    }
    qsort(items, r->n, sizeof(*items), item_cmp);
    for (size_t i = 0; i < r->n; i++)
        r->rg[i] = items[i].p;
    os_free(items);
}

/* Sort the current run and append it to the spill file; the run is empty
 * afterwards. */
static JET_ERR sort_spill(build_sort *ps)
{
    build_run *r = &ps->run;
    JET_ERR err = JET_errSuccess;
    if (ps->pf == NULL) {
        err = os_file_open(ps->path, OS_FILE_WRITE | OS_FILE_TRUNCATE, &ps->pf);
        if (err < 0)
            return err;
    }
    if (ps->cruns == ps->crunsMax) {
        uint32_t n = ps->crunsMax ? 2 * ps->crunsMax : 8;
        uint64_t *p = os_realloc(ps->runEnd, n * sizeof(*p));
        if (p == NULL)
            return JET_errOutOfMemory;
        ps->runEnd = p;
        ps->crunsMax = n;
    }
    uint8_t *wb = os_malloc(IDX_BUILD_WRITE);
    if (wb == NULL)
        return JET_errOutOfMemory;
    run_sort(r);
    size_t cbw = 0;
    for (size_t i = 0; err >= 0 && i < r->n; i++) {
        size_t cb = entry_size(r->rg[i]);
        if (cbw + cb > IDX_BUILD_WRITE) {
            err = os_file_write(ps->pf, ps->cbFile, wb, cbw);
            ps->cbFile += cbw;
            cbw = 0;
        }
        memcpy(wb + cbw, r->rg[i], cb);
        cbw += cb;
    }
    if (err >= 0 && cbw > 0) {
        err = os_file_write(ps->pf, ps->cbFile, wb, cbw);
        ps->cbFile += cbw;
    }
    os_free(wb);
    if (err >= 0)
        ps->runEnd[ps->cruns++] = ps->cbFile;
    r->n = 0;
    r->cb = 0;
    return err;
}

/* One spilled run being read back. */
typedef struct {
    uint64_t off, end;
    uint8_t *buf;
    uint32_t cb, pos;
    const uint8_t *head;    /* current entry (NULL: run exhausted) */
} run_reader;

static JET_ERR reader_next(os_file *pf, run_reader *rr)
{
    uint32_t avail = rr->cb - rr->pos;
    if (avail < 4 || avail < entry_size(rr->buf + rr->pos)) {
        memmove(rr->buf, rr->buf + rr->pos, avail);
        rr->cb = avail;
        rr->pos = 0;
        uint64_t n = rr->end - rr->off;
        if (n > IDX_BUILD_READ - avail)
            n = IDX_BUILD_READ - avail;
        if (n > 0) {
            JET_ERR err = os_file_read(pf, rr->off, rr->buf + avail, (size_t)n, NULL);
            if (err < 0)
                return err;
            rr->off += n;
            rr->cb += (uint32_t)n;
        }
        avail = rr->cb;
        if (avail == 0) {
            rr->head = NULL;
            return JET_errSuccess;
        }
        if (avail < 4 || avail < entry_size(rr->buf))
            return JET_errDiskIO;   /* the file we wrote reads back short */
    }
    rr->head = rr->buf + rr->pos;
    rr->pos += (uint32_t)entry_size(rr->head);
    return JET_errSuccess;
}

static JET_ERR load_entry(isam_sess *psess, bt_bulk *pbk, const uint8_t *p)
{
    uint32_t cbKey = le_get16(p), cbData = le_get16(p + 2);
    CKPT_ENTER(psess->inst);
    JET_ERR err = bt_bulk_add(pbk, p + 4, cbKey, p + 4 + cbKey, cbData, 0);
    CKPT_LEAVE(psess->inst);
    return err;
}

/* Merge the spilled runs into the load. */
static JET_ERR sort_merge(isam_sess *psess, build_sort *ps, bt_bulk *pbk)
{
    run_reader *rr = os_calloc(ps->cruns, sizeof(*rr));
    if (rr == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; err >= 0 && i < ps->cruns; i++) {
        rr[i].off = i ? ps->runEnd[i - 1] : 0;
        rr[i].end = ps->runEnd[i];
        if ((rr[i].buf = os_malloc(IDX_BUILD_READ)) == NULL)
            err = JET_errOutOfMemory;
        else
            err = reader_next(ps->pf, &rr[i]);
    }
    /* A binary min-heap of the runs that still have a head, by head:
     * log2(k) comparisons per entry instead of k. */
    uint32_t *heap = err >= 0 ? os_malloc(ps->cruns * sizeof(*heap)) : NULL;
    uint32_t n = 0;
    if (err >= 0 && heap == NULL)
        err = JET_errOutOfMemory;
    for (uint32_t i = 0; err >= 0 && i < ps->cruns; i++) {
        if (rr[i].head == NULL)
            continue;
        uint32_t j = n++;   /* sift up */
        while (j > 0 && entry_cmp(rr[i].head, rr[heap[(j - 1) / 2]].head) < 0) {
            heap[j] = heap[(j - 1) / 2];
            j = (j - 1) / 2;
        }
        heap[j] = i;
    }
    while (err >= 0 && n > 0) {
        uint32_t top = heap[0];
        err = load_entry(psess, pbk, rr[top].head);
        if (err >= 0)
            err = reader_next(ps->pf, &rr[top]);
        if (err < 0)
            break;
        if (rr[top].head == NULL)
            top = heap[--n];   /* run exhausted: the last leaf sifts down from the top */
        uint32_t j = 0;        /* sift down */
        for (;;) {
            uint32_t c = 2 * j + 1;
            if (c >= n)
                break;
            if (c + 1 < n && entry_cmp(rr[heap[c + 1]].head, rr[heap[c]].head) < 0)
                c++;
            if (entry_cmp(rr[heap[c]].head, rr[top].head) >= 0)
                break;
            heap[j] = heap[c];
            j = c;
        }
        if (n > 0)
            heap[j] = top;
    }
    os_free(heap);
    for (uint32_t i = 0; i < ps->cruns; i++)
        os_free(rr[i].buf);
    os_free(rr);
    return err;
}

JET_ERR idx_build(isam_sess *psess, isam_db *pdb, table_def *ptd, const idx_def *pidx, uint32_t pctDensity)
{
    bt_cursor *bc = NULL;
    JET_ERR err = bt_cursor_open(&pdb->env, ptd->pgnoRoot, &bc);
    if (err < 0)
        return err;
    rec_buf rec = { 0 };
    idx_keys kn;
    idx_keys_init(&kn);
    build_sort sort;
    memset(&sort, 0, sizeof(sort));
    uint32_t cpgCache = psess->inst->cfg.cpgCacheMax ? psess->inst->cfg.cpgCacheMax : 1024; /* as inst.c */
    uint64_t cbBudget = (uint64_t)cpgCache * cache_page_size(pdb->env.pc) / 4;
    sort.cbRunMax = cbBudget < IDX_BUILD_RUN_MIN ? IDX_BUILD_RUN_MIN
                  : cbBudget > IDX_BUILD_RUN_MAX ? IDX_BUILD_RUN_MAX : (size_t)cbBudget;
    int cch = snprintf(sort.path, sizeof(sort.path), "%.*s.idx%u.sort", (int)(sizeof(sort.path) - 32), pdb->path,
                       (unsigned)pidx->objid);
    if (cch < 0 || (size_t)cch >= sizeof(sort.path))
        return bt_cursor_close(bc), JET_errInvalidPath;
    uint8_t bm[JET_cbBookmarkMost + 16];
    int fUnique = (pidx->grbit & JET_bitIndexUnique) != 0;
    for (err = bt_first(bc); err >= 0; err = bt_next(bc)) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err < 0)
            break;
        err = rec_visible(psess, pdb, ptd->pgnoRoot, pk, cbk, pd, cbd, fl, &rec);
        if (err == JET_errRecordNotFound)
            continue;
        if (err >= 0)
            err = lv_ovf_expand(psess, pdb, ptd, &rec); /* lv.c O1: keys of the whole record */
        if (err < 0 || cbk > sizeof(bm))
            break;
        /* the btree cursor's memory is only valid until the next move */
        uint32_t cbBm = cbk;
        memcpy(bm, pk, cbk);
        err = idx_entry_keys(psess, pdb, ptd, pidx, rec.pb, rec.cb, bm, cbBm, &kn);
        uint8_t len[2];
        uint32_t cbLen = bm_len_encode(pdb, cbBm, len);
        for (uint32_t i = 0; err >= 0 && i < kn.n; i++)
            err = run_add(&sort.run, kn.pb + kn.off[i], kn.len[i], fUnique ? (const void *)bm : (const void *)len,
                          fUnique ? cbBm : cbLen);
        if (err >= 0 && sort.run.cb >= sort.cbRunMax)
            err = sort_spill(&sort);
        if (err < 0)
            break;
    }
    if (err == JET_errRecordNotFound || err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    bt_cursor_close(bc);
    rec_free(&rec);
    idx_keys_free(&kn);
    /* Invariant B1: the new tree is reachable only through the index's
     * catalog row, inserted (versioned, with its UNDO) earlier in this
     * transaction.  Its pages are therefore written unversioned and logged
     * for redo only (the bulk load's page images, bulk.c K1): until commit
     * nobody else can reach them, and a rollback or crash undo of the
     * catalog row (UNDO_TREE, I8) drops the whole tree.  So a build needs no
     * version-store memory and no UNDO record per entry. */
    if (err >= 0 && sort.cruns > 0 && sort.run.n > 0)
        err = sort_spill(&sort);
    bt_bulk *pbk = NULL;
    if (err >= 0)
        err = bt_bulk_begin(&pdb->env, pdb->hdr.pgnoSpace, pidx->pgnoRoot, pctDensity ? pctDensity : 100,
                            cpgCache / 2, &pbk);   /* bulk.c K3: half the cache, the rest for everyone else */
    if (err >= 0) {
        if (sort.cruns > 0) {
            err = sort_merge(psess, &sort, pbk);
        } else {
            run_sort(&sort.run);
            for (size_t i = 0; err >= 0 && i < sort.run.n; i++)
                err = load_entry(psess, pbk, sort.run.rg[i]);
        }
        CKPT_ENTER(psess->inst);
        err = bt_bulk_end(pbk, err);
        CKPT_LEAVE(psess->inst);
    }
    if (sort.pf) {
        os_file_close(sort.pf);
        JET_ERR e2 = os_unlink(sort.path);
        if (err >= 0 && e2 < 0)
            err = e2;
    }
    os_free(sort.runEnd);
    os_free(sort.run.pb);
    os_free(sort.run.rg);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Index DDL through a cursor                                                */
/* ------------------------------------------------------------------------ */

/* Is any record visible in the table? */
static JET_ERR table_has_records(isam_sess *psess, isam_cursor *pcur, int *pf)
{
    rec_buf tmp = { 0 };
    JET_ERR err;
    *pf = 0;
    for (err = bt_first(pcur->bc); err >= 0; err = bt_next(pcur->bc)) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(pcur->bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err < 0)
            break;
        err = rec_visible(psess, pcur->db, pcur->td->pgnoRoot, pk, cbk, pd, cbd, fl, &tmp);
        if (err >= 0) {
            *pf = 1;
            break;
        }
        if (err != JET_errRecordNotFound)
            break;
    }
    rec_free(&tmp);
    if (err == JET_errRecordNotFound || err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    return err < 0 ? err : JET_errSuccess;
}

static JET_ERR create_primary_index(isam_sess *psess, isam_cursor *pcur, const char *szName, JET_GRBIT grbit,
                                    const key_seg *segs, uint32_t cseg)
{
    table_def *ptd = pcur->td;
    if (ptd->cseg > 0)
        return JET_errIndexHasPrimary;
    table_def nd = *ptd;
    nd.cseg = cseg;
    memcpy(nd.segs, segs, cseg * sizeof(key_seg));
    int hasRecords = 0;
    JET_ERR err = table_has_records(psess, pcur, &hasRecords);
    if (err < 0)
        return err;
    if (hasRecords)
        return JET_errTableNotEmpty;
    snprintf(nd.idxName, sizeof(nd.idxName), "%s", szName);
    nd.idxGrbit = grbit | JET_bitIndexUnique;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_update_table(psess, pcur->db, &nd);
    err = trx_auto_end(psess, fAuto, err);
    if (err >= 0) {
        ptd->cseg = nd.cseg;
        memcpy(ptd->segs, nd.segs, sizeof(nd.segs));
        memcpy(ptd->idxName, nd.idxName, sizeof(nd.idxName));
        ptd->idxGrbit = nd.idxGrbit;
    }
    return err;
}

/* One index of JetCreateIndex / JetCreateIndex2..4.  cbKeyMost: the
 * JET_INDEXCREATE field (used with JET_bitIndexKeyMost); segflagsAll:
 * KEY_SEG_CASESENSITIVE when the index's LCMapString flags do not ignore case. */
/* Conditional columns as ESENT checks them: at most JET_ccolKeyMost
 * (JET_errIndexInvalidDef), none on a primary index (JET_errIndexInvalidDef),
 * each of the right cbStruct (JET_errIndexInvalidDef), with exactly one of
 * MustBeNull / MustBeNonNull (JET_errInvalidGrbit), naming a column of the
 * table (JET_errColumnNotFound). */
static JET_ERR cond_parse(table_def *ptd, JET_GRBIT grbit, const JET_CONDITIONALCOLUMN_A *rgcond, uint32_t ccond,
                          idx_def *pid)
{
    if (ccond == 0)
        return JET_errSuccess;
    if (ccond > JET_ccolKeyMost || (grbit & JET_bitIndexPrimary))
        return JET_errIndexInvalidDef;
    if (rgcond == NULL)
        return JET_errInvalidParameter;
    for (uint32_t i = 0; i < ccond; i++) {
        if (rgcond[i].cbStruct != sizeof(JET_CONDITIONALCOLUMN_A))
            return JET_errIndexInvalidDef;
        if (rgcond[i].grbit != JET_bitIndexColumnMustBeNull && rgcond[i].grbit != JET_bitIndexColumnMustBeNonNull)
            return JET_errInvalidGrbit;
        const col_info *pci = rgcond[i].szColumnName ? col_by_name(ptd, rgcond[i].szColumnName) : NULL;
        if (pci == NULL)
            return JET_errColumnNotFound;
        if (pci->pbUdd)
            return JET_errFeatureNotAvailable; /* as key segments (table.c UD1) */
        pid->conds[i].columnid = pci->rc.columnid;
        pid->conds[i].segflags = rgcond[i].grbit == JET_bitIndexColumnMustBeNull ? KEY_COND_MUSTBENULL : 0;
    }
    pid->ccond = ccond;
    return JET_errSuccess;
}

static JET_ERR create_index(isam_sess *psess, isam_cursor *pcur, const char *szName, JET_GRBIT grbit,
                            const char *szKey, uint32_t cbKey, uint32_t lDensity, uint32_t cbKeyMost,
                            uint32_t segflagsAll, const JET_CONDITIONALCOLUMN_A *rgcond, uint32_t ccond)
{
    if (pcur->fTemp)
        return JET_errIllegalOperation; /* one index, fixed at open */
    JET_ERR errDDL = tpl_check_add(pcur, NULL);
    if (errDDL < 0)
        return errDDL;
    if (lDensity != 0 && (lDensity < 20 || lDensity > 100))
        return JET_errDensityInvalid;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, folded))
        return JET_errInvalidName;
    if (grbit & (JET_bitIndexTuples | JET_bitIndexTupleLimits | JET_bitIndexNestedTable))
        return JET_errFeatureNotAvailable;
    if (grbit & ~(JET_GRBIT)0xFFFFF)
        return JET_errInvalidGrbit;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    if ((grbit & JET_bitIndexPrimary) && ptd->cseg > 0)
        return JET_errIndexHasPrimary;
    char f2[JET_cbNameMost + 1];
    if (idx_by_name_any(ptd, szName) || (ptd->cseg && cat_name_fold(ptd->idxName, f2) && strcmp(f2, folded) == 0))
        return JET_errIndexDuplicate;
    /* K8: an index of a file with DB_INCOMPAT_INDEX_COMPACT makes its Unicode
     * text keys in the compact form (key.c, KEY_SEG_TEXT8).  The flag is kept
     * with the index's segments in the catalog, so every key of one index
     * (entries, JetMakeKey, the bookmark of a primary index) has one form
     * for the index's life; indexes of older files keep the 2-byte form.
     * The same bit lets non-unique entries keep their bookmark's length in
     * one byte (bm_len_encode; idx_entry_bookmark reads both). */
    if (atomic_load(&pcur->db->incompatSeen) & DB_INCOMPAT_INDEX_COMPACT)
        segflagsAll |= KEY_SEG_TEXT8;
    key_seg segs[JET_ccolKeyMost];
    uint32_t cseg = 0;
    err = idx_parse_key(ptd, szKey, cbKey, grbit, segflagsAll, segs, &cseg);
    if (err < 0)
        return err;
    idx_def id;
    memset(&id, 0, sizeof(id));
    err = cond_parse(ptd, grbit, rgcond, ccond, &id);
    if (err < 0)
        return err;
    if (grbit & JET_bitIndexPrimary)
        return create_primary_index(psess, pcur, szName, grbit, segs, cseg);
    isam_db *pdb = pcur->db;
    uint32_t cbPage = cache_page_size(pdb->env.pc);
    uint32_t cbMost = JET_cbKeyMost;
    if (grbit & JET_bitIndexKeyMost) {
        uint32_t cbPageMost = cbPage <= 2048 ? JET_cbKeyMost2KBytePage
                            : cbPage <= 4096 ? JET_cbKeyMost4KBytePage
                                             : JET_cbKeyMost8KBytePage;
        if (cbKeyMost < JET_cbKeyMostMin || cbKeyMost > cbPageMost)
            return JET_errIndexInvalidDef;
        cbMost = cbKeyMost;
    }
    /* A node holds the key and one bookmark (index.c). */
    uint32_t cbRoom = bt_node_max(cbPage) - primary_key_max(pdb) - 8;
    if (cbMost > cbRoom)
        cbMost = cbRoom;
    snprintf(id.name, sizeof(id.name), "%s", szName);
    id.grbit = grbit;
    id.cbKeyMost = cbMost;
    id.cseg = cseg;
    memcpy(id.segs, segs, sizeof(segs));
    int fAuto;
    /* S1: no record of the database changes from here to the schema bump. */
    os_rwlock_wrlock(&pdb->schemaLock);
    err = trx_save_begin(psess, &fAuto);
    if (err < 0) {
        os_rwlock_unlock(&pdb->schemaLock);
        return err;
    }
    /* The build reads the table as this transaction's snapshot sees it: that
     * must be the table's latest state, or records changed by others (not yet
     * committed, or committed since) would miss their entries. */
    os_mutex_lock(&psess->inst->lock);
    if (ver_tree_changed_by_others_locked(psess->inst, psess->trx, pdb->dbid, ptd->pgnoRoot))
        err = JET_errWriteConflict;
    os_mutex_unlock(&psess->inst->lock);
    if (err >= 0)
        err = cat_next_objid(psess, pdb, &id.objid);
    if (err >= 0) {
        CKPT_ENTER(psess->inst);
        err = ver_create_tree(psess, pdb, id.objid, &id.pgnoRoot);
        CKPT_LEAVE(psess->inst);
    }
    if (err >= 0)
        err = reclaim_register(psess, pdb, ptd->objid, 0, &id.pgnoRoot, &id.objid, 1); /* dropped if the creation rolls back */
    if (err >= 0)
        err = cat_insert_index(psess, pdb, ptd, &id);
    if (err >= 0)
        err = idx_build(psess, pdb, ptd, &id, lDensity); /* leaves filled to lDensity (0: 100%) */
    err = trx_save_end(psess, fAuto, err);
    bump_schema(psess, pdb);
    os_rwlock_unlock(&pdb->schemaLock);
    JET_ERR e2 = isam_sync_indexes(psess, pcur);
    return err < 0 ? err : e2;
}

JET_ERR isam_create_index(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_GRBIT grbit,
                          const char *szKey, uint32_t cbKey, uint32_t lDensity)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    return create_index(psess, pcur, szName, grbit, szKey, cbKey, lDensity, 0, 0, NULL, 0);
}

JET_ERR isam_create_indexes(isam_sess *psess, JET_TABLEID tableid, const isam_index_spec *specs, uint32_t c,
                            JET_ERR *perrs)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (specs == NULL && c > 0)
        return JET_errInvalidParameter;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < c && err >= 0; i++) {
        const isam_index_spec *ps = &specs[i];
        uint32_t segflags = ps->fCaseSensitive ? KEY_SEG_CASESENSITIVE : 0;
        err = create_index(psess, pcur, ps->szName, ps->grbit, ps->szKey, ps->cbKey, ps->ulDensity, ps->cbKeyMost,
                           segflags, ps->rgcond, ps->ccond);
        if (perrs)
            perrs[i] = err;
    }
    return err;
}

JET_ERR isam_delete_index(isam_sess *psess, JET_TABLEID tableid, const char *szIndex)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (pcur->fTemp)
        return JET_errIllegalOperation;
    char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
    if (!cat_name_fold(szIndex, a))
        return JET_errInvalidName;
    JET_ERR err = tpl_check_delete(psess, pcur, NULL, szIndex);
    if (err < 0)
        return err;
    err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    if (ptd->cseg && cat_name_fold(ptd->idxName, b) && strcmp(a, b) == 0)
        return JET_errIndexMustStay;
    idx_def *pidx = idx_by_name(ptd, szIndex);
    if (pidx == NULL)
        return JET_errIndexNotFound;
    if (pidx->objid == pcur->objidIdx)
        return JET_errIndexInUse;
    int fAuto;
    err = trx_save_begin(psess, &fAuto);
    if (err >= 0)
        err = reclaim_register(psess, pcur->db, ptd->objid, 1, &pidx->pgnoRoot, &pidx->objid, 1);
    if (err >= 0)
        err = cat_delete_index(psess, pcur->db, ptd, pidx);
    err = trx_save_end(psess, fAuto, err);
    bump_schema(psess, pcur->db);
    JET_ERR e2 = isam_sync_indexes(psess, pcur);
    return err < 0 ? err : e2;
}

JET_ERR isam_get_index_info(isam_sess *psess, JET_TABLEID tableid, const char *szIndex, void *pv, uint32_t cbMax,
                            uint32_t infolevel)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pv == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    idx_def *pidx = NULL;
    int primary = 0;
    if (szIndex && szIndex[0]) {
        char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
        if (!cat_name_fold(szIndex, a))
            return JET_errInvalidName;
        pidx = idx_by_name(ptd, szIndex);
        primary = pidx == NULL && ptd->cseg && cat_name_fold(ptd->idxName, b) && strcmp(a, b) == 0;
        if (pidx == NULL && !primary && infolevel != JET_IdxInfoCount)
            return JET_errIndexNotFound;
    } else {
        pidx = cur_idx(pcur);
        primary = pidx == NULL;
    }
    if (infolevel == JET_IdxInfo || infolevel == JET_IdxInfoList) {
        if (cbMax < sizeof(JET_INDEXLIST))
            return JET_errBufferTooSmall;
        int fOne = infolevel == JET_IdxInfo && szIndex && szIndex[0];
        return list_indexes(psess, pcur, fOne ? pidx : NULL, fOne && primary, !fOne, pv);
    }
    switch (infolevel) {
    case JET_IdxInfoCount: {
        uint32_t n = 1; /* the primary (clustered) index counts */
        for (uint32_t i = 0; i < ptd->cidx; i++)
            n += ptd->idxs[i].fNavigable != 0;
        return info_put(pv, cbMax, &n, sizeof(n));
    }
    case JET_IdxInfoSpaceAlloc: {
        uint32_t density = 100;
        return info_put(pv, cbMax, &density, sizeof(density));
    }
    case JET_IdxInfoLangid: {
        uint16_t langid = 0x409;
        return info_put(pv, cbMax, &langid, sizeof(langid));
    }
    case JET_IdxInfoKeyMost:
    case JET_IdxInfoVarSegMac: {
        uint16_t most = (uint16_t)(pidx ? pidx->cbKeyMost : primary_key_max(pcur->db));
        return info_put(pv, cbMax, &most, sizeof(most));
    }
    default:
        return JET_errFeatureNotAvailable;
    }
}

JET_ERR isam_list_indexes(isam_sess *psess, JET_TABLEID tableid, char **ppszz, uint32_t *pcb)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    size_t cap = 1;
    for (uint32_t i = 0; i < ptd->cidx; i++)
        cap += strlen(ptd->idxs[i].name) + 16 + ptd->idxs[i].cseg * (JET_cbNameMost + 2) + 1;
    char *out = os_malloc(cap);
    if (out == NULL)
        return JET_errOutOfMemory;
    size_t n = 0;
    for (uint32_t i = 0; i < ptd->cidx; i++) {
        const idx_def *pidx = &ptd->idxs[i];
        if (!pidx->fNavigable)
            continue; /* maintained, not visible to this snapshot (S2) */
        n += (size_t)snprintf(out + n, cap - n, "%s\x1f%u", pidx->name, (unsigned)pidx->grbit);
        for (uint32_t j = 0; j < pidx->cseg; j++) {
            col_info *pci = col_by_id(ptd, pidx->segs[j].columnid);
            n += (size_t)snprintf(out + n, cap - n, "\x1f%c%s", (pidx->segs[j].segflags & KEY_SEG_DESCENDING) ? '-' : '+',
                                  pci ? pci->name : "");
        }
        out[n++] = '\0';
    }
    out[n++] = '\0';
    *ppszz = out;
    *pcb = (uint32_t)n;
    return JET_errSuccess;
}

/* "+a\0-b\0\0" for segs against ptd's column names (idx_create_like). */
static JET_ERR idx_key_string(table_def *ptd, const key_seg *segs, uint32_t cseg, char *out, uint32_t cbOut,
                              uint32_t *pcb)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < cseg; i++) {
        col_info *pci = col_by_id(ptd, segs[i].columnid);
        if (pci == NULL)
            return JET_errColumnNotFound;
        size_t len = strlen(pci->name);
        if (n + len + 3 > cbOut)
            return JET_errIndexInvalidDef;
        out[n++] = (segs[i].segflags & KEY_SEG_DESCENDING) ? '-' : '+';
        memcpy(out + n, pci->name, len + 1);
        n += (uint32_t)len + 1;
    }
    out[n++] = '\0';
    *pcb = n;
    return JET_errSuccess;
}

JET_ERR idx_create_like(isam_sess *psess, JET_TABLEID tid, table_def *ptdSrc, const char *szName, JET_GRBIT grbit,
                        const key_seg *segs, uint32_t cseg, uint32_t cbKeyMost, const idx_def *pidxSrc)
{
    char key[JET_ccolKeyMost * (JET_cbNameMost + 2) + 2];
    uint32_t cbKey;
    JET_ERR err = idx_key_string(ptdSrc, segs, cseg, key, sizeof(key), &cbKey);
    if (err < 0)
        return err;
    isam_index_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.szName = szName;
    spec.grbit = grbit;
    spec.szKey = key;
    spec.cbKey = cbKey;
    if (!(grbit & JET_bitIndexPrimary) && cbKeyMost != 0 && cbKeyMost != JET_cbKeyMost &&
        cbKeyMost >= JET_cbKeyMostMin) {
        spec.grbit |= JET_bitIndexKeyMost;
        spec.cbKeyMost = cbKeyMost;
    }
    spec.fCaseSensitive = cseg > 0 && (segs[0].segflags & KEY_SEG_CASESENSITIVE) != 0;
    JET_CONDITIONALCOLUMN_A conds[JET_ccolKeyMost];
    for (uint32_t i = 0; pidxSrc && i < pidxSrc->ccond; i++) { /* by name: column ids may differ */
        col_info *pci = col_by_id(ptdSrc, pidxSrc->conds[i].columnid);
        if (pci == NULL)
            return JET_errColumnNotFound;
        conds[i].cbStruct = sizeof(conds[i]);
        conds[i].szColumnName = pci->name;
        conds[i].grbit = (pidxSrc->conds[i].segflags & KEY_COND_MUSTBENULL) ? JET_bitIndexColumnMustBeNull
                                                                             : JET_bitIndexColumnMustBeNonNull;
    }
    spec.rgcond = pidxSrc ? conds : NULL;
    spec.ccond = pidxSrc ? pidxSrc->ccond : 0;
    JET_ERR e1;
    return isam_create_indexes(psess, tid, &spec, 1, &e1);
}
