/*
 * catalog.c -- the catalog: a btree inside every database that describes its
 * tables, columns and primary indexes, so a re-attached database knows them.
 *
 * Owns: the catalog's key and row formats (below) and table_def loading.
 * Catalog rows are changed through the versioned record operations of ver.c,
 * so DDL is transactional and isolated like any other change.
 * Must not touch: table records, pages directly.
 *
 * Keys (names case-folded to ASCII lower case):
 *     'T' name                                  -> table row
 *     'C' objid(u32 BE) columnid(u32 BE)        -> column row
 *     'I' objid(u32 BE) name                    -> secondary index row
 * Table row (little-endian):
 *     u32 objid, u32 pgnoRoot, u32 flags, u8 cbName, name,
 *     u32 idxGrbit, u8 cseg, {u32 columnid, u32 segflags} * cseg, u8 cbIdxName, idxName
 *     [flags & CAT_TF_LV: u32 objidLV, u32 pgnoLV -- the long-value tree (lv.c)]
 *     [flags & ISAM_TF_DERIVED: u8 cbName, name of the template (template.c)]
 *     [flags & ISAM_TF_CALLBACK: u32 cbtyp, u16 cb, callback name (callback.c)]
 *     flags also hold ISAM_TF_FIXEDDDL and ISAM_TF_TEMPLATE.
 * Column row:
 *     u32 coltyp, u32 cbMax, u32 grbit, u16 cp, u8 cbName, name, u32 cbDefault, default
 *     A deleted column keeps its row as a tombstone: coltyp JET_coltypNil, no
 *     name, so its column id is never handed out again (records may still
 *     hold its old values; nothing reads them).
 * Index row:
 *     u32 objid (of the index tree), u32 pgnoRoot, u32 grbit, u32 cbKeyMost,
 *     u8 cseg, {u32 columnid, u32 segflags} * cseg, u8 cbName, name
 *     [u8 ccond, {u32 columnid, u32 flags} * ccond -- conditional columns,
 *      only when there are any (older rows end after the name)]
 * Object ids of tables and indexes come from one counter (cat_next_objid).
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

#define CAT_OBJID 1
#define CAT_TF_LV 0x1 /* table row flag: a long-value tree follows */

/* Fold an ESE object name; returns its length or 0 if invalid (JET_errInvalidName). */
uint32_t cat_name_fold(const char *szName, char *out)
{
    if (szName == NULL)
        return 0;
    size_t len = strlen(szName);
    if (len == 0 || len > JET_cbNameMost || szName[0] == ' ')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)szName[i];
        if (c < 0x20 || c == '!' || c == '.' || c == '[' || c == ']')
            return 0;
        out[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    out[len] = '\0';
    return (uint32_t)len;
}

JET_ERR cat_init(isam_sess *psess, isam_db *pdb)
{
    (void)psess;
    return bt_create(&pdb->env, pdb->hdr.pgnoSpace, CAT_OBJID, &pdb->hdr.pgnoCatalog);
}

/* ---- serialization ------------------------------------------------------- */

typedef struct wbuf { uint8_t b[2048]; uint32_t n; int overflow; } wbuf;

static void put(wbuf *w, const void *pv, uint32_t cb)
{
    if (w->n + cb > sizeof(w->b)) {
        w->overflow = 1;
        return;
    }
    if (cb > 0) /* pv may be NULL for an empty value */
        memcpy(w->b + w->n, pv, cb);
    w->n += cb;
}
static void put32(wbuf *w, uint32_t v)
{
    uint8_t b[4];
    le_put32(b, v);
    put(w, b, 4);
}
static void put16(wbuf *w, uint16_t v)
{
    uint8_t b[2];
    le_put16(b, v);
    put(w, b, 2);
}
static void put8(wbuf *w, uint8_t v) { put(w, &v, 1); }
static void put_name(wbuf *w, const char *s)
{
    uint8_t n = (uint8_t)strlen(s);
    put8(w, n);
    put(w, s, n);
}

typedef struct rbuf { const uint8_t *p; uint32_t n, i; int bad; } rbuf;

static void get(rbuf *r, void *pv, uint32_t cb)
{
    if (r->bad || r->i + cb > r->n) {
        r->bad = 1;
        memset(pv, 0, cb);
        return;
    }
    memcpy(pv, r->p + r->i, cb);
    r->i += cb;
}
static uint32_t get32(rbuf *r)
{
    uint8_t b[4];
    get(r, b, 4);
    return le_get32(b);
}
static uint16_t get16(rbuf *r)
{
    uint8_t b[2];
    get(r, b, 2);
    return le_get16(b);
}
static uint8_t get8(rbuf *r) { uint8_t v; get(r, &v, 1); return v; }
static void get_name(rbuf *r, char *out)
{
    uint8_t n = get8(r);
    if (n > JET_cbNameMost) {
        r->bad = 1;
        n = 0;
    }
    get(r, out, n);
    out[n] = '\0';
}

static uint32_t table_key(const char *folded, uint8_t *key)
{
    size_t n = strlen(folded);
    key[0] = 'T';
    memcpy(key + 1, folded, n);
    return (uint32_t)(1 + n);
}

/* The catalog key of table `szName`; 0 if the name is invalid. */
static uint32_t table_key_of(const char *szName, uint8_t *key)
{
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, folded))
        return 0;
    return table_key(folded, key);
}

static uint32_t column_key(uint32_t objid, uint32_t columnid, uint8_t *key)
{
    key[0] = 'C';
    be_put32(key + 1, objid);
    be_put32(key + 5, columnid);
    return 9;
}

static void table_row(const table_def *ptd, wbuf *w)
{
    w->n = 0;
    w->overflow = 0;
    put32(w, ptd->objid);
    put32(w, ptd->pgnoRoot);
    put32(w, (ptd->pgnoLV ? CAT_TF_LV : 0) | (ptd->tflags & (ISAM_TF_FIXEDDDL | ISAM_TF_TEMPLATE | ISAM_TF_DERIVED)) |
                 (ptd->cbtypTable ? ISAM_TF_CALLBACK : 0));
    put_name(w, ptd->name);
    put32(w, ptd->idxGrbit);
    put8(w, (uint8_t)ptd->cseg);
    for (uint32_t i = 0; i < ptd->cseg; i++) {
        put32(w, ptd->segs[i].columnid);
        put32(w, ptd->segs[i].segflags);
    }
    put_name(w, ptd->idxName);
    if (ptd->pgnoLV) {
        put32(w, ptd->objidLV);
        put32(w, ptd->pgnoLV);
    }
    if (ptd->tflags & ISAM_TF_DERIVED)
        put_name(w, ptd->szTemplate);
    if (ptd->cbtypTable) {
        uint16_t cb = (uint16_t)strlen(ptd->szCallback);
        put32(w, ptd->cbtypTable);
        put16(w, cb);
        put(w, ptd->szCallback, cb);
    }
}

static JET_ERR parse_table_row(const uint8_t *pb, uint32_t cb, table_def *ptd)
{
    rbuf r = { pb, cb, 0, 0 };
    ptd->objid = get32(&r);
    ptd->pgnoRoot = get32(&r);
    uint32_t flags = get32(&r);
    get_name(&r, ptd->name);
    ptd->idxGrbit = get32(&r);
    ptd->cseg = get8(&r);
    if (ptd->cseg > JET_ccolKeyMost)
        return JET_errCatalogCorrupted;
    for (uint32_t i = 0; i < ptd->cseg; i++) {
        ptd->segs[i].columnid = get32(&r);
        ptd->segs[i].segflags = get32(&r);
    }
    get_name(&r, ptd->idxName);
    ptd->objidLV = ptd->pgnoLV = 0;
    if (flags & CAT_TF_LV) {
        ptd->objidLV = get32(&r);
        ptd->pgnoLV = get32(&r);
    }
    ptd->tflags = flags & (ISAM_TF_FIXEDDDL | ISAM_TF_TEMPLATE | ISAM_TF_DERIVED);
    ptd->szTemplate[0] = '\0';
    if (flags & ISAM_TF_DERIVED)
        get_name(&r, ptd->szTemplate);
    ptd->cbtypTable = 0;
    ptd->szCallback[0] = '\0';
    ptd->pfnTable = NULL;
    if (flags & ISAM_TF_CALLBACK) {
        ptd->cbtypTable = get32(&r);
        uint16_t cb = get16(&r);
        if (cb > ISAM_CB_NAME_MAX || ptd->cbtypTable == 0)
            return JET_errCatalogCorrupted;
        get(&r, ptd->szCallback, cb);
        ptd->szCallback[cb] = '\0';
    }
    return r.bad ? JET_errCatalogCorrupted : JET_errSuccess;
}

/* Inspection (isam.h): one row, decoded by the parsers above. */
JET_ERR cat_row_decode(const uint8_t *pbKey, uint32_t cbKey, const uint8_t *pbData, uint32_t cbData,
                       cat_row_view *prow)
{
    if (pbKey == NULL || pbData == NULL || prow == NULL)
        return JET_errInvalidParameter;
    memset(prow, 0, sizeof(*prow));
    if (cbKey < 1)
        return JET_errCatalogCorrupted;
    if (pbKey[0] == 'T') {
        table_def *ptd = os_calloc(1, sizeof(*ptd));
        if (ptd == NULL)
            return JET_errOutOfMemory;
        JET_ERR err = parse_table_row(pbData, cbData, ptd);
        if (err >= 0) {
            prow->kind = 'T';
            prow->objid = prow->objidTable = ptd->objid;
            prow->pgnoRoot = ptd->pgnoRoot;
            prow->objidLV = ptd->objidLV;
            prow->pgnoLV = ptd->pgnoLV;
            memcpy(prow->name, ptd->name, sizeof(prow->name));
        }
        os_free(ptd);
        return err;
    }
    if (pbKey[0] != 'I' && pbKey[0] != 'C')
        return JET_errSuccess; /* kind 0: another row (e.g. the objid counter) */
    if (cbKey < 5)
        return JET_errCatalogCorrupted;
    prow->objidTable = (uint32_t)pbKey[1] << 24 | (uint32_t)pbKey[2] << 16 | (uint32_t)pbKey[3] << 8 | pbKey[4];
    if (pbKey[0] == 'C') {
        if (cbKey != 9)
            return JET_errCatalogCorrupted;
        prow->kind = 'C';
        prow->objid = (uint32_t)pbKey[5] << 24 | (uint32_t)pbKey[6] << 16 | (uint32_t)pbKey[7] << 8 | pbKey[8];
        return JET_errSuccess;
    }
    rbuf r = { pbData, cbData, 0, 0 };
    prow->objid = get32(&r);
    prow->pgnoRoot = get32(&r);
    if (r.bad || cbKey - 5 > JET_cbNameMost)
        return JET_errCatalogCorrupted;
    prow->kind = 'I';
    memcpy(prow->name, pbKey + 5, cbKey - 5);
    prow->name[cbKey - 5] = '\0';
    return JET_errSuccess;
}

/* ---- reads ---------------------------------------------------------------- */

/* The visible catalog row for `key` into *pbuf. */
static JET_ERR cat_get(isam_sess *psess, isam_db *pdb, const uint8_t *key, uint32_t cbKey, rec_buf *pbuf)
{
    return rec_read_visible(psess, pdb, pdb->hdr.pgnoCatalog, key, cbKey, pbuf);
}

void cat_free_table(table_def *ptd)
{
    if (ptd == NULL)
        return;
    os_free(ptd->idxs);
    for (uint32_t i = 0; i < ptd->ccol; i++) {
        os_free(ptd->cols[i].pbDefault);
        os_free(ptd->cols[i].pbUdd);
    }
    os_free(ptd->cols);
    os_free(ptd->colMap);
    os_free(ptd);
}

static JET_ERR add_col(table_def *ptd, const col_info *pci)
{
    col_info *p = os_realloc(ptd->cols, (ptd->ccol + 1) * sizeof(col_info));
    if (p == NULL)
        return JET_errOutOfMemory;
    ptd->cols = p;
    ptd->cols[ptd->ccol++] = *pci;
    return JET_errSuccess;
}

/* Load the columns of ptd (rows 'C' objid ...), visible to the session. */
/* Call fn for every catalog row whose key starts with `prefix` and that is
 * visible to the session, in key order.  A negative return from fn stops the
 * scan and is returned. */
typedef JET_ERR (*cat_row_fn)(void *ctx, const uint8_t *key, uint32_t cbKey, const uint8_t *row, uint32_t cbRow);

/* Rows whose key starts with prefix, as the session's snapshot sees them;
 * with fLatest, rows it does not see but that exist in the latest state
 * (rec_latest) as well, with *pfVisible (when not NULL) telling which. */
static JET_ERR cat_scan_ex(isam_sess *psess, isam_db *pdb, const uint8_t *prefix, uint32_t cbPrefix, cat_row_fn fn,
                           void *ctx, int fLatest, int *pfVisible, int *pfSnapDep)
{
    bt_cursor *pc = NULL;
    JET_ERR err = bt_cursor_open(&pdb->env, pdb->hdr.pgnoCatalog, &pc);
    if (err < 0)
        return err;
    rec_buf row = { 0 };
    for (err = bt_seek(pc, prefix, cbPrefix, BT_SEEK_GE); err >= 0; err = bt_next(pc)) {
        const void *pk, *pd;
        uint32_t cbk, cbd, flags;
        err = bt_current(pc, &pk, &cbk, &pd, &cbd, &flags);
        if (err < 0 || cbk < cbPrefix || memcmp(pk, prefix, cbPrefix) != 0)
            break;
        err = rec_visible(psess, pdb, pdb->hdr.pgnoCatalog, pk, cbk, pd, cbd, flags, &row);
        int fVisible = err != JET_errRecordNotFound;
        if (pfVisible)
            *pfVisible = fVisible;
        if (err >= 0 && fLatest && pfSnapDep && !*pfSnapDep) {
            /* does the latest state agree? (only whether the row exists matters) */
            rec_buf tmp = { 0 };
            JET_ERR e = rec_latest(psess, pdb, pdb->hdr.pgnoCatalog, pk, cbk, pd, cbd, flags, &tmp);
            rec_free(&tmp);
            if (e == JET_errRecordNotFound)
                *pfSnapDep = 1;
        }
        if (err == JET_errRecordNotFound && fLatest) {
            err = rec_latest(psess, pdb, pdb->hdr.pgnoCatalog, pk, cbk, pd, cbd, flags, &row);
            if (err >= 0 && pfSnapDep)
                *pfSnapDep = 1;
        }
        if (err == JET_errRecordNotFound)
            continue;
        if (err >= 0)
            err = fn(ctx, pk, cbk, row.pb, row.cb);
        if (err < 0)
            break;
    }
    if (err == JET_errRecordNotFound || err == JET_errNoCurrentRecord || err > 0)
        err = JET_errSuccess;
    bt_cursor_close(pc);
    rec_free(&row);
    return err;
}

static JET_ERR cat_scan(isam_sess *psess, isam_db *pdb, const uint8_t *prefix, uint32_t cbPrefix, cat_row_fn fn,
                        void *ctx)
{
    return cat_scan_ex(psess, pdb, prefix, cbPrefix, fn, ctx, 0, NULL, NULL);
}

/* cat_scan callback: one column row into the table_def. */
static JET_ERR load_column(void *ctx, const uint8_t *k, uint32_t cbKey, const uint8_t *pb, uint32_t cb)
{
    table_def *ptd = ctx;
    if (cbKey != 9)
        return JET_errCatalogCorrupted;
    col_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.rc.columnid = be_get32(k + 5);
    rbuf r = { pb, cb, 0, 0 };
    ci.rc.coltyp = get32(&r);
    ci.rc.cbMax = get32(&r);
    ci.rc.grbit = get32(&r);
    ci.rc.cp = get16(&r);
    get_name(&r, ci.name);
    ci.cbDefault = get32(&r);
    if (!r.bad && ci.cbDefault > 0) {
        if (ci.cbDefault > cb - r.i)
            return JET_errCatalogCorrupted;
        ci.pbDefault = os_malloc(ci.cbDefault);
        if (ci.pbDefault == NULL)
            return JET_errOutOfMemory;
        get(&r, ci.pbDefault, ci.cbDefault);
    }
    if (!r.bad && r.i < cb) { /* a user-defined default (table.c UD1) */
        ci.cbUdd = get32(&r);
        if (r.bad || ci.cbUdd == 0 || ci.cbUdd > cb - r.i || !(ci.rc.grbit & JET_bitColumnUserDefinedDefault)) {
            os_free(ci.pbDefault);
            return JET_errCatalogCorrupted;
        }
        ci.pbUdd = os_malloc(ci.cbUdd);
        if (ci.pbUdd == NULL) {
            os_free(ci.pbDefault);
            return JET_errOutOfMemory;
        }
        get(&r, ci.pbUdd, ci.cbUdd);
        if (memchr(ci.pbUdd, 0, ci.cbUdd) == NULL)
            r.bad = 1;
    }
    JET_ERR err = r.bad ? JET_errCatalogCorrupted : add_col(ptd, &ci);
    if (err < 0) {
        os_free(ci.pbDefault);
        os_free(ci.pbUdd);
    }
    return err;
}

/* Load the columns of ptd (rows 'C' objid ...), visible to the session. */
static JET_ERR load_columns(isam_sess *psess, isam_db *pdb, table_def *ptd)
{
    uint8_t prefix[9];
    column_key(ptd->objid, 0, prefix);
    return cat_scan(psess, pdb, prefix, 5, load_column, ptd);
}

/* ---- secondary index rows --------------------------------------------------- */

static uint32_t index_key(uint32_t objidTable, const char *szName, uint8_t *key)
{
    char folded[JET_cbNameMost + 1];
    uint32_t n = cat_name_fold(szName, folded);
    if (n == 0)
        return 0;
    key[0] = 'I';
    for (int i = 0; i < 4; i++)
        key[1 + i] = (uint8_t)(objidTable >> (24 - 8 * i));
    memcpy(key + 5, folded, n);
    return 5 + n;
}

typedef struct load_index_ctx {
    table_def *ptd;
    int        fVisible;  /* set by cat_scan_ex for each row */
} load_index_ctx;

/* cat_scan callback: one index row into the table_def. */
static JET_ERR load_index(void *ctx, const uint8_t *k, uint32_t cbKey, const uint8_t *pb, uint32_t cb)
{
    (void)k;
    (void)cbKey;
    load_index_ctx *plc = ctx;
    table_def *ptd = plc->ptd;
    idx_def id;
    memset(&id, 0, sizeof(id));
    id.fNavigable = plc->fVisible;
    rbuf r = { pb, cb, 0, 0 };
    id.objid = get32(&r);
    id.pgnoRoot = get32(&r);
    id.grbit = get32(&r);
    id.cbKeyMost = get32(&r);
    id.cseg = get8(&r);
    if (id.cseg == 0 || id.cseg > JET_ccolKeyMost)
        return JET_errCatalogCorrupted;
    for (uint32_t i = 0; i < id.cseg; i++) {
        id.segs[i].columnid = get32(&r);
        id.segs[i].segflags = get32(&r);
    }
    get_name(&r, id.name);
    if (!r.bad && r.i < r.n) {
        id.ccond = get8(&r);
        if (id.ccond == 0 || id.ccond > JET_ccolKeyMost)
            return JET_errCatalogCorrupted;
        for (uint32_t i = 0; i < id.ccond; i++) {
            id.conds[i].columnid = get32(&r);
            id.conds[i].segflags = get32(&r);
        }
    }
    if (r.bad)
        return JET_errCatalogCorrupted;
    idx_def *p = os_realloc(ptd->idxs, (ptd->cidx + 1) * sizeof(idx_def));
    if (p == NULL)
        return JET_errOutOfMemory;
    ptd->idxs = p;
    ptd->idxs[ptd->cidx++] = id;
    return JET_errSuccess;
}

JET_ERR cat_load_indexes(isam_sess *psess, isam_db *pdb, table_def *ptd)
{
    os_mutex_lock(&psess->inst->lock);
    uint32_t gen = pdb->schemaGen;
    os_mutex_unlock(&psess->inst->lock);
    os_free(ptd->idxs);
    ptd->idxs = NULL;
    ptd->cidx = 0;
    uint8_t prefix[5];
    prefix[0] = 'I';
    for (int i = 0; i < 4; i++)
        prefix[1 + i] = (uint8_t)(ptd->objid >> (24 - 8 * i));
    /* invariant S2: what the snapshot sees, and what exists beyond it */
    load_index_ctx lc = { ptd, 0 };
    int fSnapDep = 0;
    JET_ERR err = cat_scan_ex(psess, pdb, prefix, 5, load_index, &lc, 1, &lc.fVisible, &fSnapDep);
    if (err >= 0) {
        ptd->schemaGen = gen;
        ptd->snapLoaded = cat_view(psess);
        ptd->fSnapDep = fSnapDep;
    }
    return err;
}

uint64_t cat_view(isam_sess *psess)
{
    return psess->trx ? psess->trx->snapshot + 1 : 0;
}

JET_ERR cat_insert_index(isam_sess *psess, isam_db *pdb, const table_def *ptd, const idx_def *pidx)
{
    uint8_t key[5 + JET_cbNameMost];
    uint32_t cbKey = index_key(ptd->objid, pidx->name, key);
    if (cbKey == 0)
        return JET_errInvalidName;
    wbuf w = { .n = 0 };
    put32(&w, pidx->objid);
    put32(&w, pidx->pgnoRoot);
    put32(&w, pidx->grbit);
    put32(&w, pidx->cbKeyMost);
    put8(&w, (uint8_t)pidx->cseg);
    for (uint32_t i = 0; i < pidx->cseg; i++) {
        put32(&w, pidx->segs[i].columnid);
        put32(&w, pidx->segs[i].segflags);
    }
    put_name(&w, pidx->name);
    if (pidx->ccond > 0) {
        put8(&w, (uint8_t)pidx->ccond);
        for (uint32_t i = 0; i < pidx->ccond; i++) {
            put32(&w, pidx->conds[i].columnid);
            put32(&w, pidx->conds[i].segflags);
        }
    }
    JET_ERR err = rec_op_insert(psess, pdb, pdb->hdr.pgnoCatalog, key, cbKey, w.b, w.n);
    return err == JET_errKeyDuplicate ? JET_errIndexDuplicate : err;
}

JET_ERR cat_delete_index(isam_sess *psess, isam_db *pdb, const table_def *ptd, const idx_def *pidx)
{
    uint8_t key[5 + JET_cbNameMost];
    uint32_t cbKey = index_key(ptd->objid, pidx->name, key);
    if (cbKey == 0)
        return JET_errInvalidName;
    return rec_op_delete(psess, pdb, pdb->hdr.pgnoCatalog, key, cbKey);
}

JET_ERR cat_load_table(isam_sess *psess, isam_db *pdb, const char *szName, table_def **pptd)
{
    uint8_t key[1 + JET_cbNameMost];
    uint32_t cbKey = table_key_of(szName, key);
    if (cbKey == 0)
        return JET_errInvalidName;
    rec_buf row = { 0 };
    JET_ERR err = cat_get(psess, pdb, key, cbKey, &row);
    if (err == JET_errRecordNotFound)
        err = JET_errObjectNotFound;
    if (err < 0) {
        rec_free(&row);
        return err;
    }
    table_def *ptd = os_calloc(1, sizeof(*ptd));
    if (ptd == NULL) {
        rec_free(&row);
        return JET_errOutOfMemory;
    }
    err = parse_table_row(row.pb, row.cb, ptd);
    rec_free(&row);
    if (err >= 0)
        err = load_columns(psess, pdb, ptd);
    if (err >= 0)
        err = cat_load_indexes(psess, pdb, ptd);
    if (err < 0) {
        cat_free_table(ptd);
        return err;
    }
    *pptd = ptd;
    return JET_errSuccess;
}

/* ---- writes ----------------------------------------------------------------- */

JET_ERR cat_insert_table(isam_sess *psess, isam_db *pdb, const table_def *ptd)
{
    uint8_t key[1 + JET_cbNameMost];
    uint32_t cbKey = table_key_of(ptd->name, key);
    if (cbKey == 0)
        return JET_errInvalidName;
    wbuf w;
    table_row(ptd, &w);
    JET_ERR err = rec_op_insert(psess, pdb, pdb->hdr.pgnoCatalog, key, cbKey, w.b, w.n);
    return err == JET_errKeyDuplicate ? JET_errTableDuplicate : err;
}

JET_ERR cat_update_table(isam_sess *psess, isam_db *pdb, const table_def *ptd)
{
    uint8_t key[1 + JET_cbNameMost];
    uint32_t cbKey = table_key_of(ptd->name, key);
    if (cbKey == 0)
        return JET_errInvalidName;
    wbuf w;
    table_row(ptd, &w);
    return rec_op_replace(psess, pdb, pdb->hdr.pgnoCatalog, key, cbKey, w.b, w.n);
}

static JET_ERR put_column(isam_sess *psess, isam_db *pdb, const table_def *ptd, const col_info *pci, int fInsert)
{
    uint8_t key[9];
    column_key(ptd->objid, pci->rc.columnid, key);
    wbuf w = { .n = 0 };
    put32(&w, pci->rc.coltyp);
    put32(&w, pci->rc.cbMax);
    put32(&w, pci->rc.grbit);
    put16(&w, pci->rc.cp);
    put_name(&w, pci->name);
    put32(&w, pci->cbDefault);
    put(&w, pci->pbDefault, pci->cbDefault);
    if (pci->pbUdd) { /* table.c UD1; rows written before it end here */
        put32(&w, pci->cbUdd);
        put(&w, pci->pbUdd, pci->cbUdd);
    }
    if (w.overflow)
        return JET_errDefaultValueTooBig;
    return fInsert ? rec_op_insert(psess, pdb, pdb->hdr.pgnoCatalog, key, 9, w.b, w.n)
                   : rec_op_replace(psess, pdb, pdb->hdr.pgnoCatalog, key, 9, w.b, w.n);
}

JET_ERR cat_insert_column(isam_sess *psess, isam_db *pdb, const table_def *ptd, const col_info *pci)
{
    return put_column(psess, pdb, ptd, pci, 1);
}

JET_ERR cat_update_column(isam_sess *psess, isam_db *pdb, const table_def *ptd, const col_info *pci)
{
    return put_column(psess, pdb, ptd, pci, 0);
}

JET_ERR cat_reload_columns(isam_sess *psess, isam_db *pdb, table_def *ptd)
{
    table_def tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.objid = ptd->objid;
    JET_ERR err = load_columns(psess, pdb, &tmp);
    if (err < 0) {
        for (uint32_t i = 0; i < tmp.ccol; i++) {
            os_free(tmp.cols[i].pbDefault);
            os_free(tmp.cols[i].pbUdd);
        }
        os_free(tmp.cols);
        return err;
    }
    for (uint32_t i = 0; i < ptd->ccol; i++) {
        os_free(ptd->cols[i].pbDefault);
        os_free(ptd->cols[i].pbUdd);
    }
    os_free(ptd->cols);
    col_map_reset(ptd); /* C1: cols is replaced */
    ptd->cols = tmp.cols;
    ptd->ccol = tmp.ccol;
    return JET_errSuccess;
}

JET_ERR cat_rename_table(isam_sess *psess, isam_db *pdb, table_def *ptd, const char *szNew)
{
    uint8_t key[1 + JET_cbNameMost];
    uint32_t cbKey = table_key_of(ptd->name, key);
    char folded[JET_cbNameMost + 1];
    if (cbKey == 0 || !cat_name_fold(szNew, folded))
        return JET_errInvalidName;
    char old[JET_cbNameMost + 1];
    memcpy(old, ptd->name, sizeof(old));
    JET_ERR err = rec_op_delete(psess, pdb, pdb->hdr.pgnoCatalog, key, cbKey);
    if (err >= 0) {
        snprintf(ptd->name, sizeof(ptd->name), "%s", szNew);
        err = cat_insert_table(psess, pdb, ptd);
    }
    if (err < 0)
        memcpy(ptd->name, old, sizeof(old));
    return err;
}

JET_ERR cat_delete_table(isam_sess *psess, isam_db *pdb, const table_def *ptd)
{
    uint8_t key[1 + JET_cbNameMost];
    uint32_t cbKey = table_key_of(ptd->name, key);
    if (cbKey == 0)
        return JET_errInvalidName;
    JET_ERR err = rec_op_delete(psess, pdb, pdb->hdr.pgnoCatalog, key, cbKey);
    for (uint32_t i = 0; err >= 0 && i < ptd->ccol; i++) {
        uint8_t ck[9];
        column_key(ptd->objid, ptd->cols[i].rc.columnid, ck);
        err = rec_op_delete(psess, pdb, pdb->hdr.pgnoCatalog, ck, 9);
    }
    for (uint32_t i = 0; err >= 0 && i < ptd->cidx; i++)
        err = cat_delete_index(psess, pdb, ptd, &ptd->idxs[i]);
    return err;
}

/* cat_scan callback: append a table's name to a growing multi-string. */
typedef struct name_list { char *out; size_t cb, cap; uint32_t n; } name_list;

static JET_ERR add_table_name(void *ctx, const uint8_t *key, uint32_t cbKey, const uint8_t *pb, uint32_t cb)
{
    (void)key;
    (void)cbKey;
    name_list *nl = ctx;
    table_def td;
    memset(&td, 0, sizeof(td));
    JET_ERR err = parse_table_row(pb, cb, &td);
    if (err < 0)
        return err;
    size_t len = strlen(td.name) + 1;
    if (nl->cb + len > nl->cap) {
        size_t cap = (nl->cb + len) * 2;
        char *p = os_realloc(nl->out, cap);
        if (p == NULL)
            return JET_errOutOfMemory;
        nl->out = p;
        nl->cap = cap;
    }
    memcpy(nl->out + nl->cb - 1, td.name, len);
    nl->cb += len;
    nl->n++;
    return JET_errSuccess;
}

JET_ERR isam_list_tables(isam_sess *psess, JET_DBID dbid, char **ppszz, uint32_t *pc)
{
    isam_db *pdb = db_get(psess->inst, dbid);
    if (pdb == NULL || psess->dbopen[dbid] == 0)
        return JET_errInvalidDatabaseId;
    name_list nl = { os_malloc(256), 1, 256, 0 };
    if (nl.out == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = cat_scan(psess, pdb, (const uint8_t *)"T", 1, add_table_name, &nl);
    if (err < 0) {
        os_free(nl.out);
        return err;
    }
    nl.out[nl.cb - 1] = '\0';
    *ppszz = nl.out;
    *pc = nl.n;
    return JET_errSuccess;
}

JET_ERR cat_next_objid(isam_sess *psess, isam_db *pdb, uint32_t *pobjid)
{
    isam_inst *pinst = psess->inst;
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pinst->lock);
    uint32_t last = pdb->objidLast;
    os_mutex_unlock(&pinst->lock);
    if (last == 0) {
        /* Every table and index row, visible or not, counts: ids are never reused. */
        last = CAT_OBJID;
        bt_cursor *pc = NULL;
        err = bt_cursor_open(&pdb->env, pdb->hdr.pgnoCatalog, &pc);
        for (err = err < 0 ? err : bt_seek(pc, "I", 1, BT_SEEK_GE); err >= 0; err = bt_next(pc)) {
            const void *pk, *pd;
            uint32_t cbk, cbd, flags;
            err = bt_current(pc, &pk, &cbk, &pd, &cbd, &flags);
            if (err < 0 || cbk < 1 || ((const uint8_t *)pk)[0] > 'T')
                break;
            if (((const uint8_t *)pk)[0] != 'T' && ((const uint8_t *)pk)[0] != 'I')
                continue;
            if (cbd >= 4) {
                uint32_t objid = le_get32(pd);
                if (objid > last)
                    last = objid;
            }
            table_def td;
            memset(&td, 0, sizeof(td));
            if (((const uint8_t *)pk)[0] == 'T' && parse_table_row(pd, cbd, &td) >= 0 && td.objidLV > last)
                last = td.objidLV;
        }
        bt_cursor_close(pc);
        if (err == JET_errRecordNotFound || err == JET_errNoCurrentRecord || err >= 0)
            err = JET_errSuccess;
    }
    if (err < 0)
        return err;
    os_mutex_lock(&pinst->lock);
    if (pdb->objidLast < last)
        pdb->objidLast = last;
    *pobjid = ++pdb->objidLast;
    os_mutex_unlock(&pinst->lock);
    return JET_errSuccess;
}
