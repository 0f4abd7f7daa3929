/*
 * cursor_api.c -- the ESENT cursor and table entry points that are built
 * from the ISAM layer's existing operations: JetGetCursorInfo,
 * JetSetTableSequential / JetResetTableSequential, JetSetCurrentIndex4,
 * JetPrereadKeys, JetPrereadIndexRanges, JetComputeStats, JetGetRecordSize /
 * JetGetRecordSize2 and JetCreateTableColumnIndex4.
 *
 * Owns: argument checking and the composition of isam.h calls.
 * Must not touch: engine state directly (everything goes through isam.h).
 * Each entry keeps its session busy for the whole call (sess_enter /
 * sess_leave), like db_api.c.
 */
#include "api_int.h"

#include <string.h>

#define ENTER(sesid)                                                                                         \
    instance *pinst_;                                                                                        \
    session *psess_;                                                                                         \
    JET_ERR err = sess_enter((sesid), &pinst_, &psess_);                                                     \
    if (err < 0)                                                                                             \
        return err;                                                                                          \
    isam_sess *S = psess_->isess

#define LEAVE(e) (sess_leave(pinst_, psess_), (e))

/* A cursor is valid when its current index can be named. */
static JET_ERR check_cursor(isam_sess *S, JET_TABLEID tableid)
{
    char sz[JET_cbNameMost + 1];
    JET_ERR err = isam_get_current_index(S, tableid, sz, sizeof(sz));
    return err < 0 ? err : JET_errSuccess;
}

/* ESENT: JET_errSuccess when the cursor is on a record, JET_errNoCurrentRecord
 * when it is not (before the first, after the last, on a deleted record). */
ESEPY_EXPORT JET_ERR JetGetCursorInfo(JET_SESID sesid, JET_TABLEID tableid, void *pvResult, uint32_t cbMax,
                                      uint32_t InfoLevel)
{
    (void)pvResult, (void)cbMax;
    ENTER(sesid);
    if (InfoLevel != 0)
        return LEAVE(JET_errInvalidParameter);
    uint8_t bm[JET_cbBookmarkMost];
    uint32_t cb = 0;
    err = isam_get_bookmark(S, tableid, bm, sizeof(bm), &cb);
    return LEAVE(err < 0 ? err : JET_errSuccess);
}

/* Sequential-scan hints.  esepy reads ahead by itself, so the hint only has
 * its arguments checked. */
ESEPY_EXPORT JET_ERR JetSetTableSequential(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit)
{
    ENTER(sesid);
    if (grbit & ~(JET_GRBIT)(JET_bitPrereadForward | JET_bitPrereadBackward))
        return LEAVE(JET_errInvalidGrbit);
    return LEAVE(check_cursor(S, tableid));
}

ESEPY_EXPORT JET_ERR JetResetTableSequential(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit)
{
    ENTER(sesid);
    if (grbit != 0)
        return LEAVE(JET_errInvalidGrbit);
    return LEAVE(check_cursor(S, tableid));
}

/* pindexid is ESENT's cached index handle (JetGetTableIndexInfo
 * JET_IdxInfoIndexId); the name decides, the hint is only checked. */
ESEPY_EXPORT JET_ERR JetSetCurrentIndex4(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                         JET_INDEXID *pindexid, JET_GRBIT grbit, uint32_t itagSequence)
{
    if (pindexid && pindexid->cbStruct != sizeof(JET_INDEXID))
        return JET_errInvalidParameter;
    ENTER(sesid);
    return LEAVE(isam_set_current_index(S, tableid, szIndexName, grbit, itagSequence));
}

/* ESENT: at least one key, each non-NULL and non-empty (JET_errInvalidBufferSize),
 * in the order of the direction bit (exactly one of JET_bitPrereadForward /
 * JET_bitPrereadBackward; equal keys allowed); *pckeysPreread tells how many
 * were read ahead.  esepy's cache reads pages on demand, so every key counts
 * as done once the arguments are checked. */
ESEPY_EXPORT JET_ERR JetPrereadKeys(JET_SESID sesid, JET_TABLEID tableid, const void **rgpvKeys,
                                    const uint32_t *rgcbKeys, int32_t ckeys, int32_t *pckeysPreread, JET_GRBIT grbit)
{
    if (pckeysPreread)
        *pckeysPreread = 0;
    if (rgpvKeys == NULL || rgcbKeys == NULL || ckeys <= 0)
        return JET_errInvalidParameter;
    if (grbit != JET_bitPrereadForward && grbit != JET_bitPrereadBackward)
        return JET_errInvalidGrbit;
    ENTER(sesid);
    err = check_cursor(S, tableid);
    for (int32_t i = 0; err >= 0 && i < ckeys; i++) {
        if (rgpvKeys[i] == NULL)
            err = JET_errInvalidParameter;
        else if (rgcbKeys[i] == 0 || rgcbKeys[i] > JET_cbKeyMost8KBytePage)
            err = JET_errInvalidBufferSize;
        if (err < 0 || i == 0)
            continue;
        uint32_t ca = rgcbKeys[i - 1], cb = rgcbKeys[i];
        int c = memcmp(rgpvKeys[i - 1], rgpvKeys[i], ca < cb ? ca : cb);
        if (c == 0)
            c = ca < cb ? -1 : ca > cb;
        if (grbit == JET_bitPrereadForward ? c > 0 : c < 0)
            err = JET_errInvalidParameter;
    }
    if (err >= 0 && pckeysPreread)
        *pckeysPreread = ckeys;
    return LEAVE(err);
}

ESEPY_EXPORT JET_ERR JetPrereadIndexRanges(JET_SESID sesid, JET_TABLEID tableid,
                                           const JET_INDEX_RANGE *const rgIndexRanges, const uint32_t cIndexRanges,
                                           uint32_t *const pcRangesPreread, const JET_COLUMNID *const rgcolumnidPreread,
                                           const uint32_t ccolumnidPreread, JET_GRBIT grbit)
{
    (void)rgcolumnidPreread;
    if (grbit & ~(JET_GRBIT)(JET_bitPrereadForward | JET_bitPrereadBackward | JET_bitPrereadFirstPage |
                             JET_bitPrereadNormalizedKey))
        return JET_errInvalidGrbit;
    if ((cIndexRanges && rgIndexRanges == NULL) || (ccolumnidPreread && rgcolumnidPreread == NULL))
        return JET_errInvalidParameter;
    ENTER(sesid);
    err = check_cursor(S, tableid);
    if (err >= 0 && pcRangesPreread)
        *pcRangesPreread = cIndexRanges;
    return LEAVE(err);
}

/* esepy keeps its table statistics exact as it goes; nothing to compute. */
ESEPY_EXPORT JET_ERR JetComputeStats(JET_SESID sesid, JET_TABLEID tableid)
{
    ENTER(sesid);
    return LEAVE(check_cursor(S, tableid));
}

/* ---- JetGetRecordSize ------------------------------------------------------------ */

static void *recsize_realloc(void *ctx, void *pv, uint32_t cb)
{
    (void)ctx;
    if (cb == 0) {
        os_free(pv);
        return NULL;
    }
    return os_realloc(pv, cb);
}

/* Sizes of the current record (or the copy buffer), from every stored value:
 * columns with ids below 256 are fixed or variable, the rest tagged (ESE's id
 * ranges).  esepy counts long values in cbData and reports no long-value tree
 * sizes, and cbOverhead is an estimate (docs/esent-differences.md). */
#define RECSIZE_KNOWN (JET_bitRecordSizeInCopyBuffer | JET_bitRecordSizeRunningTotal | JET_bitRecordSizeLocal)

static JET_ERR record_size(JET_SESID sesid, JET_TABLEID tableid, JET_RECSIZE2 *prs, JET_GRBIT grbit)
{
    if (prs == NULL)
        return JET_errInvalidParameter;
    if (grbit & ~(JET_GRBIT)RECSIZE_KNOWN)
        return JET_errInvalidGrbit;
    ENTER(sesid);
    uint32_t ccol = 0;
    JET_ENUMCOLUMN *rgcol = NULL;
    JET_GRBIT eg = JET_bitEnumerateIgnoreDefault;
    if (grbit & JET_bitRecordSizeInCopyBuffer)
        eg |= JET_bitEnumerateCopy;
    err = isam_enumerate_columns(S, tableid, 0, NULL, &ccol, &rgcol, recsize_realloc, NULL, 0xFFFFFFFF, eg);
    if (err < 0)
        return LEAVE(err);
    JET_RECSIZE2 rs;
    memset(&rs, 0, sizeof(rs));
    for (uint32_t i = 0; i < ccol; i++) {
        JET_ENUMCOLUMN *pc = &rgcol[i];
        if (pc->err == JET_wrnColumnNull)
            continue;
        if (pc->columnid < 256)
            rs.cNonTaggedColumns++;
        else
            rs.cTaggedColumns++;
        if (pc->cEnumColumnValue > 1)
            rs.cMultiValues += pc->cEnumColumnValue - 1;
        for (uint32_t j = 0; j < pc->cEnumColumnValue; j++) {
            rs.cbData += pc->rgEnumColumnValue[j].cbData;
            recsize_realloc(NULL, pc->rgEnumColumnValue[j].pvData, 0);
        }
        recsize_realloc(NULL, pc->rgEnumColumnValue, 0);
    }
    recsize_realloc(NULL, rgcol, 0);
    /* Overhead estimate: a record header and an offset per stored value. */
    rs.cbOverhead = 4 + 2 * (rs.cNonTaggedColumns + rs.cTaggedColumns + rs.cMultiValues);
    rs.cbDataCompressed = rs.cbData;
    if (grbit & JET_bitRecordSizeRunningTotal) {
        prs->cbData += rs.cbData, prs->cbOverhead += rs.cbOverhead;
        prs->cNonTaggedColumns += rs.cNonTaggedColumns, prs->cTaggedColumns += rs.cTaggedColumns;
        prs->cMultiValues += rs.cMultiValues, prs->cbDataCompressed += rs.cbDataCompressed;
    } else {
        *prs = rs;
    }
    return LEAVE(JET_errSuccess);
}

ESEPY_EXPORT JET_ERR JetGetRecordSize2(JET_SESID sesid, JET_TABLEID tableid, JET_RECSIZE2 *precsize,
                                       const JET_GRBIT grbit)
{
    return record_size(sesid, tableid, precsize, grbit);
}

ESEPY_EXPORT JET_ERR JetGetRecordSize(JET_SESID sesid, JET_TABLEID tableid, JET_RECSIZE *precsize,
                                      const JET_GRBIT grbit)
{
    if (precsize == NULL)
        return JET_errInvalidParameter;
    JET_RECSIZE2 rs;
    memset(&rs, 0, sizeof(rs));
    memcpy(&rs, precsize, sizeof(*precsize)); /* the running totals so far */
    JET_ERR err = record_size(sesid, tableid, &rs, grbit);
    if (err >= 0)
        memcpy(precsize, &rs, sizeof(*precsize));
    return err;
}

/* The 64-bit count of JetIndexRecordCount.  esepy counts up to 2^32 - 1
 * records per call (crecMax above that, or 0, means all it can count). */
ESEPY_EXPORT JET_ERR JetIndexRecordCount2(JET_SESID sesid, JET_TABLEID tableid, uint64_t *pcrec, uint64_t crecMax)
{
    if (pcrec == NULL)
        return JET_errInvalidParameter;
    ENTER(sesid);
    uint32_t c = 0;
    err = isam_index_record_count(S, tableid, &c, crecMax > 0xFFFFFFFFu ? 0 : (uint32_t)crecMax);
    if (err >= 0)
        *pcrec = c;
    return LEAVE(err);
}
