/*
 * retrieve.c -- column values through a cursor: JetRetrieveColumn(s) from the
 * current record, from a prepared update's copy, or from the current index
 * entry (JET_bitRetrieveFromIndex / JET_bitRetrieveFromPrimaryBookmark), long
 * values read in pieces, and JetEnumerateColumns.
 *
 * Owns: nothing persistent; it only reads.
 * Must not touch: changes of any kind (update.c), the record format
 * (record.c), the long-value tree (lv.c), cursor positions (cursor.c), pages.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

/* JET_bitRetrieveFromIndex / JET_bitRetrieveFromPrimaryBookmark: the column's
 * value read back from the current index entry's key (FromIndex on a
 * secondary index) or from the primary bookmark (FromPrimaryBookmark, or
 * FromIndex on the primary index).  Sets *pfFromRecord when the key cannot
 * give the value exactly (text, which keys fold; a truncated key; a sequential
 * primary key; a few lossy numbers): the caller reads the record, value number
 * *pitag.  Otherwise returns JET_errSuccess with the value in pbOut[0..*pcbOut)
 * (pbOut holds the key's length) or JET_wrnColumnNull.  *pitag is the value
 * number of a multi-valued column that made the current entry when fTag or
 * *pfFromRecord ask for it, else 1.  JET_errColumnNotFound: the column is
 * not in that key. */
static JET_ERR value_from_key(isam_sess *psess, isam_cursor *pcur, const col_info *pci, JET_GRBIT grbit, int fTag,
                              uint8_t **ppbOut, uint32_t *pcbOut, uint32_t *pitag, int *pfFromRecord)
{
    idx_def *pidx = cur_idx(pcur);
    const key_seg *segs;
    uint32_t cseg, cbKey;
    const uint8_t *key;
    int fSecondary = pidx != NULL && (grbit & JET_bitRetrieveFromIndex);
    *pitag = 1;
    *pfFromRecord = 0;
    if (fSecondary) {
        segs = pidx->segs;
        cseg = pidx->cseg;
        key = pcur->pbKeyCur;
        cbKey = cur_keypart(pcur);
    } else {
        if (pcur->td->cseg == 0) { /* sequential keys hold no column */
            if (pidx)
                return JET_errColumnNotFound;
            *pfFromRecord = 1;
            return JET_errSuccess;
        }
        segs = pcur->td->segs;
        cseg = pcur->td->cseg;
        key = pcur->pbBm;
        cbKey = pcur->cbBm;
    }
    uint32_t iseg = 0;
    while (iseg < cseg && segs[iseg].columnid != pci->rc.columnid)
        iseg++;
    if (iseg == cseg)
        return JET_errColumnNotFound;
    uint8_t *pb = os_malloc(cbKey ? cbKey : 1);
    if (pb == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = JET_errSuccess;
    uint32_t ib = 0, cb = 0;
    int r = KEY_DEC_VALUE;
    for (uint32_t i = 0; i <= iseg && r != KEY_DEC_TRUNCATED; i++) {
        const col_info *pciSeg = col_by_id(pcur->td, segs[i].columnid);
        if (pciSeg == NULL) {
            os_free(pb);
            return JET_errColumnNotFound;
        }
        r = key_decode_segment(key, cbKey, &ib, &pciSeg->rc, segs[i].segflags, pb, &cb);
    }
    if (r == KEY_DEC_VALUE || r == KEY_DEC_NULL) {
        *ppbOut = pb;
        *pcbOut = cb;
        err = r == KEY_DEC_NULL ? JET_wrnColumnNull : JET_errSuccess;
    } else {
        os_free(pb);
        *pfFromRecord = 1;
    }
    if (fSecondary && (pci->rc.grbit & JET_bitColumnMultiValued) && (fTag || *pfFromRecord) &&
        r != KEY_DEC_NULL) {
        /* which value made this entry: rebuild the record's entries */
        rec_buf rec = { 0 };
        JET_COLUMNID colMV = 0;
        uint32_t itag = 1;
        JET_ERR e = isam_load_current(psess, pcur, &rec);
        if (e >= 0)
            e = idx_entry_itag(psess, pcur->db, pcur->td, pidx, rec.pb, rec.cb, pcur->pbBm, pcur->cbBm, pcur->pbKeyCur,
                               pcur->cbKeyCur, &colMV, &itag);
        rec_free(&rec);
        if (e < 0) {
            if (!*pfFromRecord)
                os_free(*ppbOut);
            *ppbOut = NULL;
            return e;
        }
        if (colMV == pci->rc.columnid)
            *pitag = itag;
    }
    return err;
}

/* One JetRetrieveColumn on pcur; *plLoaded, when not NULL, is the current
 * record already read and parsed by this call's caller (JetRetrieveColumns
 * reads it once).
 * The record is the cursor's kept image (isam_cur_record, V5 in isam_int.h):
 * after a move or seek on the primary index it is read from the node the move
 * stopped on, otherwise looked up by the bookmark once and kept; it is used as
 * long as no change anywhere in the instance and no transaction boundary of
 * the session came between, and read again by the bookmark when one did.
 * The image is parsed once per position (V5b, record.c R-VIEW): each column
 * read is a lookup in the kept layout.  The prepared update's copy (U2) is
 * parsed under R-VALID. */
static JET_ERR retrieve_one(isam_sess *psess, isam_cursor *pcur, JET_COLUMNID columnid, void *pv, uint32_t cbMax,
                            uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo, const rec_layout *plLoaded)
{
    const JET_GRBIT fromKey = JET_bitRetrieveFromIndex | JET_bitRetrieveFromPrimaryBookmark;
    if (grbit & ~(JET_GRBIT)(JET_bitRetrieveCopy | JET_bitRetrieveIgnoreDefault | fromKey | JET_bitRetrieveTag))
        return JET_errInvalidGrbit;
    if ((grbit & fromKey) == fromKey)
        return JET_errInvalidGrbit; /* one source or the other */
    JET_ERR err = JET_errSuccess;
    if ((grbit & fromKey) && (err = isam_sync_indexes(psess, pcur)) < 0) /* before pci: a reload frees the columns */
        return err;
    col_info *pci = col_by_id(pcur->td, columnid);
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (pretinfo && pretinfo->cbStruct < sizeof(JET_RETINFO))
        return JET_errInvalidParameter;
    uint64_t ib = pretinfo ? pretinfo->ibLongValue : 0;
    uint32_t itag = pretinfo && pretinfo->itagSequence ? pretinfo->itagSequence : 1;
    const rec_layout *pl = NULL;
    rec_layout lCopy;
    int fCopy = (grbit & JET_bitRetrieveCopy) && pcur->prep != JET_prepCancel;
    if ((grbit & fromKey) && !fCopy) {
        err = isam_cur_on(psess, pcur); /* settles a deferred cursor (POS_DEFER) */
        if (err < 0)
            return err;
        uint8_t *pbKeyVal = NULL;
        uint32_t cbKeyVal = 0, itagEntry = 1;
        int fFromRecord = 0;
        if (err >= 0)
            err = value_from_key(psess, pcur, pci, grbit, (grbit & JET_bitRetrieveTag) != 0, &pbKeyVal, &cbKeyVal,
                                 &itagEntry, &fFromRecord);
        if (err < 0)
            return err;
        if (pretinfo && (grbit & JET_bitRetrieveTag))
            pretinfo->itagSequence = itagEntry;
        if (!fFromRecord) {
            if (err == JET_wrnColumnNull) {
                if (pcbActual)
                    *pcbActual = 0;
            } else {
                if (!is_long(pci) && ib)
                    err = JET_errInvalidParameter; /* ibLongValue is for long values */
                uint32_t skip = ib < cbKeyVal ? (uint32_t)ib : cbKeyVal;
                uint32_t cbVal = cbKeyVal - skip;
                if (err >= 0) {
                    if (pcbActual)
                        *pcbActual = cbVal;
                    if (pv && cbMax)
                        memcpy(pv, pbKeyVal + skip, cbVal < cbMax ? cbVal : cbMax);
                    if (cbVal > cbMax)
                        err = JET_wrnBufferTruncated;
                }
            }
            os_free(pbKeyVal);
            if (pretinfo && err >= 0)
                pretinfo->columnidNextTagged = 0;
            return err;
        }
        itag = itagEntry; /* the record's value that made this entry */
    }
    if (fCopy) {
        err = rec_layout_parse_valid(pcur->rec.pb, pcur->rec.cb, &lCopy); /* U2: well-formed */
        pl = &lCopy;
    } else if (plLoaded) {
        pl = plLoaded;
    } else {
        err = isam_cur_layout(psess, pcur, &pl); /* the cursor's image (V5), parsed once (V5b) */
    }
    const void *pvCol = NULL;
    uint32_t cbCol = 0, flags = 0;
    if (err >= 0)
        err = rec_layout_get(pl, &pci->rc, itag, &pvCol, &cbCol, &flags);
    if (err == JET_wrnColumnNull && pci->pbUdd && !(grbit & JET_bitRetrieveIgnoreDefault) && itag == 1)
    {
        if (pcbActual)
            *pcbActual = 0;
        return ISAM_wrnUserDefinedDefault; /* table.c UD1: the API layer calls the callback */
    }
    if (err == JET_wrnColumnNull && pci->pbDefault && !(grbit & JET_bitRetrieveIgnoreDefault) && itag == 1) {
        pvCol = pci->pbDefault;
        cbCol = pci->cbDefault;
        flags = 0;
        err = JET_errSuccess;
    }
    if (err >= 0 && err != JET_wrnColumnNull && !is_long(pci) && ib)
        err = JET_errInvalidParameter; /* ibLongValue is for long values */
    if (err >= 0 && err != JET_wrnColumnNull && (flags & REC_TAG_SEPARATED)) {
        /* a separated long value: cbActual = bytes from ibLongValue to the end */
        uint64_t lid, size;
        if (!lv_ref_parse(pvCol, cbCol, &lid, &size)) {
            err = JET_errLVCorrupted;
        } else {
            uint64_t rest = ib < size ? size - ib : 0;
            uint32_t n = 0;
            if (pv && cbMax && rest)
                err = lv_read(psess, pcur->db, pcur->td, lid, ib, pv, rest < cbMax ? (uint32_t)rest : cbMax, &n);
            if (err >= 0) {
                if (pcbActual)
                    *pcbActual = (uint32_t)rest;
                if (rest > cbMax)
                    err = JET_wrnBufferTruncated;
            }
        }
    } else if (err >= 0) {
        if (err != JET_wrnColumnNull && ib) {
            uint32_t skip = ib < cbCol ? (uint32_t)ib : cbCol;
            pvCol = (const uint8_t *)pvCol + skip;
            cbCol -= skip;
        }
        if (pcbActual)
            *pcbActual = cbCol;
        if (err == JET_wrnColumnNull) {
            if (pcbActual)
                *pcbActual = 0;
        } else {
            uint32_t n = cbCol < cbMax ? cbCol : cbMax;
            if (n && pv)
                memcpy(pv, pvCol, n);
            if (cbCol > cbMax)
                err = JET_wrnBufferTruncated;
        }
        if (pretinfo)
            pretinfo->columnidNextTagged = 0;
    }
    return err;
}

JET_ERR isam_retrieve_column(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, void *pv, uint32_t cbMax,
                             uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    return retrieve_one(psess, pcur, columnid, pv, cbMax, pcbActual, grbit, pretinfo, NULL);
}

JET_ERR isam_retrieve_columns(isam_sess *psess, JET_TABLEID tableid, JET_RETRIEVECOLUMN *prc, uint32_t crc)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    /* the record is read and parsed once, for every entry that reads it */
    const rec_layout *pl1 = NULL;
    int fLoaded = 0;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < crc; i++) {
        JET_RETRIEVECOLUMN *p = &prc[i];
        if (!fLoaded && (pcur->positioned == POS_ON || pcur->positioned == POS_DEFER) &&
            !(p->grbit & (JET_bitRetrieveFromIndex | JET_bitRetrieveFromPrimaryBookmark)) &&
            !((p->grbit & JET_bitRetrieveCopy) && pcur->prep != JET_prepCancel)) {
            JET_ERR e = isam_cur_layout(psess, pcur, &pl1);
            if (e < 0) {
                for (uint32_t j = i; j < crc; j++)
                    prc[j].err = e;
                return e;
            }
            fLoaded = 1;
        }
        if (p->itagSequence == 0 && !(p->grbit & (JET_bitRetrieveFromIndex | JET_bitRetrieveFromPrimaryBookmark))) {
            /* As ESENT: itagSequence 0 asks for the number of values, stored
             * back in itagSequence (cbActual 0, no data copied). */
            p->cbActual = 0;
            p->columnidNextTagged = p->columnid;
            col_info *pci = col_by_id(pcur->td, p->columnid);
            rec_layout lCopy;
            const rec_layout *pl = NULL;
            if ((p->grbit & JET_bitRetrieveCopy) && pcur->prep != JET_prepCancel) {
                if (rec_layout_parse_valid(pcur->rec.pb, pcur->rec.cb, &lCopy) >= 0) /* U2 */
                    pl = &lCopy;
            } else if (fLoaded) {
                pl = pl1;
            }
            if (pci == NULL)
                p->err = JET_errColumnNotFound;
            else if (pl == NULL)
                p->err = JET_errNoCurrentRecord;
            else {
                uint32_t c = rec_layout_count(pl, &pci->rc);
                if (c == 0 && pci->pbDefault && !(p->grbit & JET_bitRetrieveIgnoreDefault))
                    c = 1; /* the default is the first value */
                p->itagSequence = c;
                p->err = JET_errSuccess;
            }
            if (p->err < 0) {
                err = p->err;
                break;
            }
            continue;
        }
        JET_RETINFO ri = { sizeof(ri), p->ibLongValue, p->itagSequence, 0 };
        p->cbActual = 0;
        p->err = retrieve_one(psess, pcur, p->columnid, p->pvData, p->cbData, &p->cbActual, p->grbit, &ri,
                              fLoaded ? pl1 : NULL);
        p->columnidNextTagged = ri.columnidNextTagged;
        if (p->grbit & JET_bitRetrieveTag)
            p->itagSequence = ri.itagSequence;
        /* ISAM_wrnUserDefinedDefault stays: the API layer calls the callback */
        if (p->err < 0) {
            err = p->err; /* the entries after it are left as they were */
            break;
        }
        if (p->err == JET_wrnBufferTruncated)
            err = JET_wrnBufferTruncated; /* as ESENT: the one warning the call itself returns */
    }
    return err;
}

/* ---- JetEnumerateColumns ----------------------------------------------------- */

typedef struct enum_ctx {
    isam_sess     *psess;
    isam_cursor   *pcur;
    const rec_layout *pl;  /* the record, parsed once (record.c R-VIEW) */
    JET_PFNREALLOC pfn;
    void          *pvCtx;
    uint32_t       cbDataMost;
    JET_GRBIT      grbit;
} enum_ctx;

static void *enum_alloc(enum_ctx *e, uint32_t cb)
{
    return e->pfn(e->pvCtx, NULL, cb ? cb : 1);
}

static void enum_free(enum_ctx *e, void *pv)
{
    if (pv)
        (void)e->pfn(e->pvCtx, pv, 0);
}

/* Value itag of pci (the default for a missing first value unless ignored)
 * into a new buffer of at most cbDataMost bytes. */
static JET_ERR enum_value(enum_ctx *e, col_info *pci, uint32_t itag, JET_ENUMCOLUMNVALUE *pv)
{
    memset(pv, 0, sizeof(*pv));
    pv->itagSequence = itag;
    const void *pvCol;
    uint32_t cbCol, flags = 0;
    JET_ERR err = rec_layout_get(e->pl, &pci->rc, itag, &pvCol, &cbCol, &flags);
    if (err < 0)
        return err;
    if (err == JET_wrnColumnNull && itag == 1 && pci->pbDefault && !(e->grbit & JET_bitEnumerateIgnoreDefault)) {
        pvCol = pci->pbDefault, cbCol = pci->cbDefault, flags = 0;
        err = JET_errSuccess;
    }
    if (err == JET_wrnColumnNull) {
        pv->err = JET_wrnColumnNull;
        return JET_errSuccess;
    }
    uint64_t lid = 0, size = cbCol;
    if ((flags & REC_TAG_SEPARATED) && !lv_ref_parse(pvCol, cbCol, &lid, &size))
        return JET_errLVCorrupted;
    uint32_t n = size < e->cbDataMost ? (uint32_t)size : e->cbDataMost;
    pv->pvData = enum_alloc(e, n);
    if (pv->pvData == NULL)
        return JET_errOutOfMemory;
    uint32_t got = n;
    if (lid)
        err = lv_read(e->psess, e->pcur->db, e->pcur->td, lid, 0, pv->pvData, n, &got);
    else
        memcpy(pv->pvData, pvCol, n);
    if (err < 0)
        return err;
    pv->cbData = got;
    pv->err = size > e->cbDataMost ? JET_wrnColumnTruncated : JET_errSuccess;
    return JET_errSuccess;
}

static void enum_column_free(enum_ctx *e, JET_ENUMCOLUMN *pec)
{
    if (pec->err == JET_wrnColumnSingleValue) {
        enum_free(e, pec->pvData);
    } else if (pec->err >= 0 && pec->rgEnumColumnValue) {
        for (uint32_t i = 0; i < pec->cEnumColumnValue; i++)
            enum_free(e, pec->rgEnumColumnValue[i].pvData);
        enum_free(e, pec->rgEnumColumnValue);
    }
    memset(pec, 0, sizeof(*pec));
}

/* One column: the listed itags (ctag > 0) or all of its values. */
static JET_ERR enum_column(enum_ctx *e, JET_COLUMNID columnid, uint32_t ctag, const uint32_t *rgtag,
                           JET_ENUMCOLUMN *pec)
{
    memset(pec, 0, sizeof(*pec));
    pec->columnid = columnid;
    col_info *pci = col_by_id(e->pcur->td, columnid);
    if (pci == NULL) {
        pec->err = JET_errColumnNotFound;
        return JET_errSuccess;
    }
    uint32_t c = rec_layout_count(e->pl, &pci->rc);
    if (c == 0 && pci->pbDefault && !(e->grbit & JET_bitEnumerateIgnoreDefault))
        c = 1;
    uint32_t cval = ctag ? ctag : c;
    if (ctag == 0 && c == 0) {
        pec->err = JET_wrnColumnNull;
        return JET_errSuccess;
    }
    if (e->grbit & JET_bitEnumeratePresenceOnly) {
        pec->err = c ? JET_wrnColumnPresent : JET_wrnColumnNull;
        return JET_errSuccess;
    }
    pec->rgEnumColumnValue = enum_alloc(e, cval * (uint32_t)sizeof(JET_ENUMCOLUMNVALUE));
    if (pec->rgEnumColumnValue == NULL)
        return JET_errOutOfMemory;
    memset(pec->rgEnumColumnValue, 0, cval * sizeof(JET_ENUMCOLUMNVALUE));
    pec->cEnumColumnValue = cval;
    for (uint32_t i = 0; i < cval; i++) {
        JET_ERR err = enum_value(e, pci, ctag ? rgtag[i] : i + 1, &pec->rgEnumColumnValue[i]);
        if (err < 0)
            return err;
    }
    /* As ESENT: a column asked for whole (no itags) with one value kept in
     * the record (not a separated long value) comes back compressed. */
    const void *pv1;
    uint32_t cb1, fl1 = 0;
    if ((e->grbit & JET_bitEnumerateCompressOutput) && cval == 1 && ctag == 0 && pec->rgEnumColumnValue[0].err == 0 &&
        !(rec_layout_get(e->pl, &pci->rc, 1, &pv1, &cb1, &fl1) == JET_errSuccess &&
          (fl1 & REC_TAG_SEPARATED))) {
        JET_ENUMCOLUMNVALUE *pv = pec->rgEnumColumnValue;
        void *pvData = pv->pvData;
        uint32_t cbData = pv->cbData;
        enum_free(e, pv);
        pec->err = JET_wrnColumnSingleValue;
        pec->cbData = cbData;
        pec->pvData = pvData;
    }
    return JET_errSuccess;
}

JET_ERR isam_enumerate_columns(isam_sess *psess, JET_TABLEID tableid, uint32_t cEnumColumnId,
                               const JET_ENUMCOLUMNID *rgEnumColumnId, uint32_t *pcEnumColumn,
                               JET_ENUMCOLUMN **prgEnumColumn, JET_PFNREALLOC pfnRealloc, void *pvReallocContext,
                               uint32_t cbDataMost, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcEnumColumn == NULL || prgEnumColumn == NULL || pfnRealloc == NULL ||
        (cEnumColumnId && rgEnumColumnId == NULL))
        return JET_errInvalidParameter;
    if (grbit & ~(JET_GRBIT)(JET_bitEnumerateCopy | JET_bitEnumerateIgnoreDefault | JET_bitEnumerateLocal |
                             JET_bitEnumeratePresenceOnly | JET_bitEnumerateTaggedOnly |
                             JET_bitEnumerateCompressOutput | JET_bitEnumerateIgnoreUserDefinedDefault |
                             JET_bitEnumerateInRecordOnly))
        return JET_errInvalidGrbit;
    *pcEnumColumn = 0;
    *prgEnumColumn = NULL;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    rec_layout lCopy;
    enum_ctx e = { psess, pcur, NULL, pfnRealloc, pvReallocContext, cbDataMost, grbit };
    if ((grbit & JET_bitEnumerateCopy) && pcur->prep != JET_prepCancel) {
        err = rec_layout_parse_valid(pcur->rec.pb, pcur->rec.cb, &lCopy); /* U2: well-formed */
        e.pl = &lCopy;
    } else {
        err = isam_cur_layout(psess, pcur, &e.pl); /* the cursor's image (V5), parsed once (V5b) */
    }
    /* the columns: as listed, or every one with a value in column id order */
    table_def *ptd = pcur->td;
    uint32_t ccol = cEnumColumnId;
    JET_COLUMNID *ids = NULL;
    if (err >= 0 && cEnumColumnId == 0) {
        ids = os_malloc((ptd->ccol + 1) * sizeof(JET_COLUMNID));
        if (ids == NULL)
            err = JET_errOutOfMemory;
        for (uint32_t i = 0; err >= 0 && i < ptd->ccol; i++) {
            col_info *pci = &ptd->cols[i];
            if (pci->rc.coltyp == JET_coltypNil)
                continue;
            if ((grbit & JET_bitEnumerateTaggedOnly) && !(pci->rc.grbit & JET_bitColumnTagged))
                continue;
            int fDefault = pci->pbDefault && !(grbit & JET_bitEnumerateIgnoreDefault);
            if (rec_layout_count(e.pl, &pci->rc) == 0 && !fDefault)
                continue;
            uint32_t j = ccol++;
            while (j > 0 && ids[j - 1] > pci->rc.columnid) {
                ids[j] = ids[j - 1];
                j--;
            }
            ids[j] = pci->rc.columnid;
        }
    }
    JET_ENUMCOLUMN *rg = NULL;
    if (err >= 0 && ccol) {
        rg = enum_alloc(&e, ccol * (uint32_t)sizeof(JET_ENUMCOLUMN));
        if (rg == NULL)
            err = JET_errOutOfMemory;
        else
            memset(rg, 0, ccol * sizeof(JET_ENUMCOLUMN));
    }
    uint32_t done = 0;
    for (; err >= 0 && done < ccol; done++) {
        const JET_ENUMCOLUMNID *pid = cEnumColumnId ? &rgEnumColumnId[done] : NULL;
        if (pid && pid->ctagSequence && pid->rgtagSequence == NULL)
            err = JET_errInvalidParameter;
        else
            err = enum_column(&e, pid ? pid->columnid : ids[done], pid ? pid->ctagSequence : 0,
                              pid ? pid->rgtagSequence : NULL, &rg[done]);
        if (err < 0)
            done++; /* free the partly filled one too */
    }
    if (err < 0) {
        for (uint32_t i = 0; i < done; i++)
            enum_column_free(&e, &rg[i]);
        enum_free(&e, rg);
    } else {
        *pcEnumColumn = ccol;
        *prgEnumColumn = rg;
    }
    os_free(ids);
    return err;
}
