/*
 * filter_api.c -- JetSetCursorFilter: a conjunction of simple column
 * conditions that JetMove applies to the records of a table cursor on its
 * primary index, skipping those that fail (ESENT's filtered moves).
 *
 * Also JetIntersectIndexes, which shares the secondary-index check.
 *
 * Owns: the filters of each session (session.filters, used only by the
 * thread that has the session busy) and the comparison of a column value
 * with a filter value.
 * Must not touch: engine state (everything goes through isam.h).
 *
 * ESENT's rules, kept here: grbit must be 0; the cursor must be a table cursor
 * on its primary index (JET_errFilteredMoveNotSupported otherwise, also for
 * long-value and text columns); cColumnFilters 0 removes the filter.  A
 * filter value with cb 0 means NULL (or the zero-length value with
 * JET_bitZeroLength, binary columns only); NULL sorts before every value;
 * only the first value of a multi-valued column is compared.  The filter
 * applies while the cursor stays on the index it was set on.
 */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct filt {
    JET_COLUMNID columnid;
    JET_RELOP    relop;
    JET_COLTYP   coltyp;
    int          fNull;       /* cb 0 without JET_bitZeroLength */
    uint32_t     cb;
    uint8_t      v[256];
} filt;

struct cursor_filter {
    JET_TABLEID           tableid;
    char                  index[JET_cbNameMost + 1]; /* the primary index it was set on */
    uint32_t              c;
    filt                 *rg;
    struct cursor_filter *next;
};

static void filter_free(cursor_filter *pf)
{
    os_free(pf->rg);
    os_free(pf);
}

/* Remove the filter of `tableid` (on JetCloseTable or a new filter). */
void filter_drop(session *ps, JET_TABLEID tableid)
{
    for (cursor_filter **pp = &ps->filters; *pp; pp = &(*pp)->next) {
        if ((*pp)->tableid == tableid) {
            cursor_filter *pf = *pp;
            *pp = pf->next;
            filter_free(pf);
            return;
        }
    }
}

void filter_free_all(session *ps)
{
    while (ps->filters) {
        cursor_filter *pf = ps->filters;
        ps->filters = pf->next;
        filter_free(pf);
    }
}

static uint32_t fixed_size(JET_COLTYP t)
{
    switch (t) {
    case JET_coltypBit:
    case JET_coltypUnsignedByte:
        return 1;
    case JET_coltypShort:
    case JET_coltypUnsignedShort:
        return 2;
    case JET_coltypLong:
    case JET_coltypUnsignedLong:
    case JET_coltypIEEESingle:
        return 4;
    case JET_coltypCurrency:
    case JET_coltypIEEEDouble:
    case JET_coltypDateTime:
    case JET_coltypLongLong:
    case JET_coltypUnsignedLongLong:
        return 8;
    case JET_coltypGUID:
        return 16;
    default:
        return 0;
    }
}

static JET_ERR validate(isam_sess *S, JET_TABLEID tableid, const JET_INDEX_COLUMN *pic, filt *pf)
{
    if ((pic->grbit & ~(JET_GRBIT)JET_bitZeroLength) || (pic->cb == 0 && pic->pv != NULL) ||
        (pic->cb != 0 && (pic->pv == NULL || pic->grbit == JET_bitZeroLength)) ||
        (uint32_t)pic->relop > (uint32_t)JET_relopBitmaskNotEqualsZero || pic->cb > sizeof(pf->v))
        return JET_errInvalidParameter;
    JET_COLUMNDEF cd;
    JET_ERR err = isam_get_column_info(S, tableid, (const char *)&pic->columnid, &cd, sizeof(cd),
                                       JET_ColInfoByColid);
    if (err < 0)
        return err;
    JET_COLTYP t = cd.coltyp;
    int fBitmask = pic->relop == JET_relopBitmaskEqualsZero || pic->relop == JET_relopBitmaskNotEqualsZero;
    if (t == JET_coltypLongBinary || t == JET_coltypLongText || t == JET_coltypText)
        return JET_errFilteredMoveNotSupported;
    if ((pic->relop == JET_relopPrefixEquals || (pic->grbit & JET_bitZeroLength)) && t != JET_coltypBinary)
        return JET_errInvalidParameter;
    if (pic->cb == 0 && (fBitmask || pic->relop == JET_relopPrefixEquals))
        return JET_errInvalidParameter;
    if (t != JET_coltypBinary && pic->cb != 0 && pic->cb != fixed_size(t))
        return JET_errInvalidParameter;
    if (fBitmask && (t == JET_coltypBit || t == JET_coltypGUID || t == JET_coltypBinary ||
                     t == JET_coltypIEEESingle || t == JET_coltypIEEEDouble || t == JET_coltypDateTime))
        return JET_errInvalidParameter;
    pf->columnid = pic->columnid;
    pf->relop = pic->relop;
    pf->coltyp = t;
    pf->cb = pic->cb;
    pf->fNull = pic->cb == 0 && !(pic->grbit & JET_bitZeroLength);
    if (pic->cb)
        memcpy(pf->v, pic->pv, pic->cb);
    return JET_errSuccess;
}

/* <0, 0, >0 comparing a stored value with the filter value (both non-NULL):
 * numbers by value, Bit as true/false, binary and GUID bytewise then by
 * length. */
static int compare(const filt *pf, const uint8_t *pv, uint32_t cb)
{
#define CMP(T)                                                                                               \
    do {                                                                                                     \
        T a, b;                                                                                              \
        memcpy(&a, pv, sizeof(T));                                                                           \
        memcpy(&b, pf->v, sizeof(T));                                                                        \
        return a < b ? -1 : a > b;                                                                           \
    } while (0)
    if (cb == pf->cb && cb == fixed_size(pf->coltyp)) {
        switch (pf->coltyp) {
        case JET_coltypBit: {
            int a = pv[0] != 0, b = pf->v[0] != 0;
            return a - b;
        }
        case JET_coltypUnsignedByte: CMP(uint8_t);
        case JET_coltypShort: CMP(int16_t);
        case JET_coltypUnsignedShort: CMP(uint16_t);
        case JET_coltypLong: CMP(int32_t);
        case JET_coltypUnsignedLong: CMP(uint32_t);
        case JET_coltypCurrency:
        case JET_coltypLongLong: CMP(int64_t);
        case JET_coltypUnsignedLongLong: CMP(uint64_t);
        case JET_coltypIEEESingle: CMP(float);
        case JET_coltypIEEEDouble:
        case JET_coltypDateTime: CMP(double);
        default:
            break;
        }
    }
#undef CMP
    int c = memcmp(pv, pf->v, cb < pf->cb ? cb : pf->cb);
    return c ? c : (cb < pf->cb ? -1 : cb > pf->cb);
}

static uint64_t as_bits(const uint8_t *pv, uint32_t cb)
{
    uint64_t x = 0;
    memcpy(&x, pv, cb < 8 ? cb : 8); /* little-endian storage: low bytes first */
    return x;
}

/* 1 if the cursor's record satisfies every condition, 0 if not, < 0 error. */
static JET_ERR matches(isam_sess *S, JET_TABLEID tableid, const cursor_filter *pcf)
{
    uint8_t buf[256];
    for (uint32_t i = 0; i < pcf->c; i++) {
        const filt *pf = &pcf->rg[i];
        uint32_t cb = 0;
        JET_ERR err = isam_retrieve_column(S, tableid, pf->columnid, buf, sizeof(buf), &cb, 0, NULL);
        if (err == ISAM_wrnUserDefinedDefault)
            err = JET_wrnColumnNull; /* a filter does not call user-defined defaults */
        if (err < 0)
            return err;
        int m;
        if (err == JET_wrnColumnNull) {
            switch (pf->relop) {
            case JET_relopEquals: m = pf->fNull; break;
            case JET_relopNotEquals: m = !pf->fNull; break;
            case JET_relopLessThanOrEqual: m = 1; break;
            case JET_relopLessThan: m = !pf->fNull; break;
            case JET_relopGreaterThanOrEqual: m = pf->fNull; break;
            case JET_relopBitmaskEqualsZero: m = 1; break;
            default: m = 0; break; /* PrefixEquals, GreaterThan, BitmaskNotEqualsZero */
            }
        } else {
            if (cb > sizeof(buf))
                cb = sizeof(buf);
            int c = pf->fNull ? 1 : compare(pf, buf, cb);
            switch (pf->relop) {
            case JET_relopEquals: m = !pf->fNull && c == 0; break;
            case JET_relopPrefixEquals: m = cb >= pf->cb && memcmp(buf, pf->v, pf->cb) == 0; break;
            case JET_relopNotEquals: m = pf->fNull || c != 0; break;
            case JET_relopLessThanOrEqual: m = !pf->fNull && c <= 0; break;
            case JET_relopLessThan: m = c < 0; break;
            case JET_relopGreaterThanOrEqual: m = c >= 0; break;
            case JET_relopGreaterThan: m = pf->fNull || c > 0; break;
            case JET_relopBitmaskEqualsZero: m = (as_bits(buf, cb) & as_bits(pf->v, pf->cb)) == 0; break;
            case JET_relopBitmaskNotEqualsZero: m = (as_bits(buf, cb) & as_bits(pf->v, pf->cb)) != 0; break;
            default: m = 1; break;
            }
        }
        if (!m)
            return 0;
    }
    return 1;
}

static cursor_filter *find(session *ps, JET_TABLEID tableid)
{
    for (cursor_filter *pf = ps->filters; pf; pf = pf->next)
        if (pf->tableid == tableid)
            return pf;
    return NULL;
}

/* 1 if the cursor's current index is one of the table's secondary indexes. */
static JET_ERR on_secondary(isam_sess *S, JET_TABLEID tableid, const char *szCur)
{
    char *szz = NULL;
    uint32_t cb = 0;
    JET_ERR err = isam_list_indexes(S, tableid, &szz, &cb);
    if (err < 0)
        return err;
    int f = 0;
    size_t n = strlen(szCur);
    for (const char *p = szz; p && p < szz + cb && *p; p += strlen(p) + 1)
        if (strncmp(p, szCur, n) == 0 && p[n] == 0x1F)
            f = 1;
    os_free(szz);
    return f;
}

ESEPY_EXPORT JET_ERR JetSetCursorFilter(JET_SESID sesid, JET_TABLEID tableid, JET_INDEX_COLUMN *rgColumnFilters,
                                        uint32_t cColumnFilters, JET_GRBIT grbit)
{
    instance *pinst;
    session *ps;
    JET_ERR err = sess_enter(sesid, &pinst, &ps);
    if (err < 0)
        return err;
    isam_sess *S = ps->isess;
    cursor_filter *pcf = NULL;
    char szCur[JET_cbNameMost + 1];
    if (grbit != 0) {
        err = JET_errInvalidGrbit;
        goto done;
    }
    err = isam_get_current_index(S, tableid, szCur, sizeof(szCur));
    if (err < 0)
        goto done;
    err = on_secondary(S, tableid, szCur);
    if (err < 0)
        goto done;
    if (err > 0) {
        err = JET_errFilteredMoveNotSupported;
        goto done;
    }
    err = JET_errSuccess;
    filter_drop(ps, tableid); /* a new filter replaces the old one; 0 conditions removes it */
    if (cColumnFilters == 0)
        goto done;
    if (rgColumnFilters == NULL) {
        err = JET_errInvalidParameter;
        goto done;
    }
    pcf = os_calloc(1, sizeof(*pcf));
    if (pcf)
        pcf->rg = os_calloc(cColumnFilters, sizeof(filt));
    if (pcf == NULL || pcf->rg == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    for (uint32_t i = 0; i < cColumnFilters && err >= 0; i++)
        err = validate(S, tableid, &rgColumnFilters[i], &pcf->rg[i]);
    if (err < 0)
        goto done;
    pcf->tableid = tableid;
    pcf->c = cColumnFilters;
    memcpy(pcf->index, szCur, sizeof(szCur));
    pcf->next = ps->filters;
    ps->filters = pcf;
    pcf = NULL;
done:
    if (pcf)
        filter_free(pcf);
    sess_leave(pinst, ps);
    return err;
}

/* JetMove with the cursor's filter (the caller has the session busy).
 * *pfHandled = 0 when there is no filter in force: the caller moves. */
JET_ERR filter_move(session *ps, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit, int *pfHandled)
{
    *pfHandled = 0;
    cursor_filter *pcf = find(ps, tableid);
    if (pcf == NULL)
        return JET_errSuccess;
    isam_sess *S = ps->isess;
    char szCur[JET_cbNameMost + 1];
    JET_ERR err = isam_get_current_index(S, tableid, szCur, sizeof(szCur));
    if (err < 0 || strcmp(szCur, pcf->index) != 0)
        return JET_errSuccess; /* on another index now: unfiltered, as in ESENT */
    *pfHandled = 1;
    int32_t step;
    uint32_t count;
    if (cRow == JET_MoveFirst || cRow == JET_MoveLast) {
        err = isam_move(S, tableid, cRow, grbit);
        step = cRow == JET_MoveFirst ? JET_MoveNext : JET_MovePrevious;
        count = 0;
    } else if (cRow == 0) {
        return isam_move(S, tableid, 0, grbit);
    } else {
        step = cRow > 0 ? JET_MoveNext : JET_MovePrevious;
        count = cRow > 0 ? (uint32_t)cRow : (uint32_t)-(int64_t)cRow;
        err = isam_move(S, tableid, step, grbit);
        count--;
    }
    /* Each landing record must match; every `count` more matching records. */
    for (;;) {
        if (err < 0)
            return err;
        JET_ERR m = matches(S, tableid, pcf);
        if (m < 0)
            return m;
        if (m && count == 0)
            return err;
        if (m)
            count--;
        err = isam_move(S, tableid, step, grbit);
    }
}

/* ---- JetIntersectIndexes ---------------------------------------------------------
 *
 * ESENT's rules: 1..64 ranges, each a cursor (cbStruct == sizeof(JET_INDEXRANGE))
 * on a secondary index of one same table, all indexes different, grbit
 * JET_bitRecordInIndex (JET_errInvalidGrbit otherwise); precordlist->cbStruct
 * == sizeof(JET_RECORDLIST).  Each cursor is walked from its current entry to
 * the end of its index range; the primary bookmarks found by every cursor go
 * into a new temporary table of one key column (JET_RECORDLIST: tableid,
 * cRecord, columnidBookmark), in bookmark order. */

typedef struct bment {
    uint32_t cb;
    uint8_t  b[JET_cbBookmarkMost];
} bment;

typedef struct bmset {
    bment   *rg;
    uint32_t c, cmax;
} bmset;

static int bm_cmp(const void *pa, const void *pb)
{
    const bment *a = pa, *b = pb;
    int c = memcmp(a->b, b->b, a->cb < b->cb ? a->cb : b->cb);
    return c ? c : (a->cb < b->cb ? -1 : a->cb > b->cb);
}

static JET_ERR bm_add(bmset *ps, const uint8_t *pv, uint32_t cb)
{
    if (ps->c == ps->cmax) {
        uint32_t n = ps->cmax ? ps->cmax * 2 : 64;
        bment *rg = os_realloc(ps->rg, (size_t)n * sizeof(bment));
        if (rg == NULL)
            return JET_errOutOfMemory;
        ps->rg = rg;
        ps->cmax = n;
    }
    ps->rg[ps->c].cb = cb;
    memcpy(ps->rg[ps->c].b, pv, cb);
    ps->c++;
    return JET_errSuccess;
}

/* Sort and drop duplicates (a multi-valued key lists a record more than once). */
static void bm_sort(bmset *ps)
{
    if (ps->c == 0)
        return;
    qsort(ps->rg, ps->c, sizeof(bment), bm_cmp);
    uint32_t o = 1;
    for (uint32_t i = 1; i < ps->c; i++)
        if (bm_cmp(&ps->rg[i], &ps->rg[o - 1]) != 0)
            ps->rg[o++] = ps->rg[i];
    ps->c = o;
}

static int bm_contains(const bmset *ps, const bment *pe)
{
    return ps->c && bsearch(pe, ps->rg, ps->c, sizeof(bment), bm_cmp) != NULL;
}

static void bm_free(bmset *ps)
{
    os_free(ps->rg);
}

#define INTERSECT_MAX 64

ESEPY_EXPORT JET_ERR JetIntersectIndexes(JET_SESID sesid, JET_INDEXRANGE *rgindexrange, uint32_t cindexrange,
                                         JET_RECORDLIST *precordlist, JET_GRBIT grbit)
{
    (void)grbit;
    if (precordlist == NULL || precordlist->cbStruct != sizeof(JET_RECORDLIST) || cindexrange == 0 ||
        cindexrange > INTERSECT_MAX || rgindexrange == NULL)
        return JET_errInvalidParameter;
    instance *pinst;
    session *ps;
    JET_ERR err = sess_enter(sesid, &pinst, &ps);
    if (err < 0)
        return err;
    isam_sess *S = ps->isess;
    bmset sets[INTERSECT_MAX];
    memset(sets, 0, sizeof(sets));
    char szTable0[JET_cbNameMost + 1] = "";
    char szIdx[INTERSECT_MAX][JET_cbNameMost + 1];
    JET_TABLEID tt = JET_tableidNil;
    precordlist->tableid = JET_tableidNil;
    precordlist->cRecord = 0;
    precordlist->columnidBookmark = 0;
    /* Check every range first: same table, secondary, distinct indexes. */
    for (uint32_t i = 0; i < cindexrange && err >= 0; i++) {
        const JET_INDEXRANGE *pr = &rgindexrange[i];
        char szTable[JET_cbNameMost + 1];
        if (pr->cbStruct != sizeof(JET_INDEXRANGE)) {
            err = JET_errInvalidParameter;
            break;
        }
        err = isam_get_table_info(S, pr->tableid, szTable, sizeof(szTable), JET_TblInfoName);
        if (err >= 0)
            err = isam_get_current_index(S, pr->tableid, szIdx[i], sizeof(szIdx[i]));
        if (err < 0)
            break;
        JET_ERR sec = on_secondary(S, pr->tableid, szIdx[i]);
        if (sec < 0) {
            err = sec;
            break;
        }
        if (!sec || (i > 0 && strcmp(szTable, szTable0) != 0)) {
            err = JET_errInvalidParameter;
            break;
        }
        if (pr->grbit != JET_bitRecordInIndex) {
            err = JET_errInvalidGrbit;
            break;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(szIdx[i], szIdx[j]) == 0)
                err = JET_errInvalidParameter;
        if (i == 0)
            memcpy(szTable0, szTable, sizeof(szTable));
    }
    /* Collect each range's primary bookmarks. */
    for (uint32_t i = 0; i < cindexrange && err >= 0; i++) {
        JET_TABLEID t = rgindexrange[i].tableid;
        for (;;) {
            uint8_t bm[JET_cbBookmarkMost];
            uint32_t cb = 0;
            err = isam_get_bookmark(S, t, bm, sizeof(bm), &cb);
            if (err >= 0)
                err = bm_add(&sets[i], bm, cb);
            if (err >= 0)
                err = isam_move(S, t, JET_MoveNext, 0);
            if (err == JET_errNoCurrentRecord) {
                err = JET_errSuccess;
                break;
            }
            if (err < 0)
                break;
        }
        bm_sort(&sets[i]);
    }
    if (err >= 0) {
        JET_COLUMNDEF cd;
        memset(&cd, 0, sizeof(cd));
        cd.cbStruct = sizeof(cd);
        cd.coltyp = JET_coltypBinary;
        cd.cbMax = JET_cbKeyMost; /* a primary bookmark is a primary key */
        cd.grbit = JET_bitColumnTTKey;
        isam_temp_spec spec = { &cd, NULL, 1, 0, 0, 0 };
        JET_COLUMNID colid = 0;
        err = isam_open_temp_table(S, &spec, &tt, &colid);
        precordlist->columnidBookmark = colid;
    }
    for (uint32_t k = 0; err >= 0 && k < sets[0].c; k++) {
        const bment *pe = &sets[0].rg[k];
        int fAll = 1;
        for (uint32_t i = 1; i < cindexrange && fAll; i++)
            fAll = bm_contains(&sets[i], pe);
        if (!fAll)
            continue;
        err = isam_prepare_update(S, tt, JET_prepInsert);
        if (err >= 0)
            err = isam_set_column(S, tt, precordlist->columnidBookmark, pe->b, pe->cb, 0, NULL);
        if (err >= 0)
            err = isam_update(S, tt, NULL, 0, NULL);
        if (err >= 0)
            precordlist->cRecord++;
    }
    if (err >= 0 && tt != JET_tableidNil) {
        /* The list cursor is left on its first record. */
        JET_ERR e = isam_move(S, tt, JET_MoveFirst, 0);
        if (e < 0 && e != JET_errNoCurrentRecord)
            err = e;
    }
    if (err < 0 && tt != JET_tableidNil) {
        (void)isam_close_table(S, tt);
        tt = JET_tableidNil;
        precordlist->cRecord = 0;
    }
    precordlist->tableid = tt;
    for (uint32_t i = 0; i < cindexrange; i++)
        bm_free(&sets[i]);
    sess_leave(pinst, ps);
    return err;
}
