/*
 * eseencode.c -- rows of a table in Windows ESE's record format and their
 * normalised index keys, for the writer of ESE-format files (esewrite.c
 * builds the trees; esepy/_export_ese.py drives both, one call per row
 * through csrc/pyext/py_esewrite.c's batches).
 *
 * Owns: the record layout (fixed columns and their null bits, variable
 * offsets and data, the tagged area with header bytes, multi-value offsets,
 * separated long-value references) and the key layout (segment prefixes,
 * per-type order-preserving forms, descending inversion, the cut at the key
 * most) of what the writer writes.
 * Must not touch: files, pages or trees (long values to separate and keys go
 * to the caller's callbacks), any other engine layer.
 *
 * Invariants:
 *  E1 every byte written to a record buffer is inside cbOutMax: the fixed
 *     and variable parts are bounded by the column counts (127 x 255,
 *     128 x 255), the tagged part is sized before it is written and refused
 *     above the page format's limit (0x1fff, 0x7fff for large pages);
 *  E2 a key never exceeds cbKeyMost bytes: key_put drops bytes past it, so
 *     segments are computed whole (the substitute flag sees every segment)
 *     and cut exactly where ESE cuts;
 *  E3 the output is a function of the values only (no state between rows):
 *     the same row encodes to the same bytes.
 */

#include "esefmt_int.h"

#define ENC_TAG_LONGVALUE 0x01u
#define ENC_TAG_SEPARATED 0x04u
#define ENC_TAG_MULTI     0x08u
#define ENC_SEP_CB        4u

#define KEY_PREFIX_NULL        0x00u
#define KEY_PREFIX_ZERO_LENGTH 0x40u
#define KEY_PREFIX_DATA        0x7fu

static int enc_is_long(uint32_t coltyp)
{
    return coltyp == JET_coltypLongBinary || coltyp == JET_coltypLongText;
}

static int enc_is_text(uint32_t coltyp)
{
    return coltyp == JET_coltypText || coltyp == JET_coltypLongText;
}

static JET_ERR enc_fail(ESEPY_ESE_ENCERROR *perr, uint32_t reason, uint32_t icol, uint32_t cb)
{
    perr->reason = reason;
    perr->icol = icol;
    perr->cb = cb;
    return JET_errInvalidParameter;
}

/* ---- records -------------------------------------------------------------------- */

JET_ERR EsepyEseEncodeRecord(const ESEPY_ESE_ENCTABLE *ptab, const ESEPY_ESE_ENCROW *prow, void *pvOut,
                             uint32_t cbOutMax, uint32_t *pcbOut, ESEPY_ESE_ENCERROR *perr)
{
    uint8_t *pb = pvOut;
    const ESEPY_ESE_ENCCOLUMN *rgcol = ptab->rgcol;
    if (cbOutMax < ESEPY_ESE_ENC_RECORD_MAX)
        return JET_errInvalidParameter;
    memset(perr, 0, sizeof(*perr));
    /* where each column's values start in rgval */
    uint32_t ival = 0;
    /* fixed columns, up to the last one with a value or a default */
    uint32_t cfixed = 0, cvar = 0, lastFixed = 0, lastVar = 0;
    for (uint32_t i = 0; i < ptab->ccol; i++) {
        const ESEPY_ESE_ENCCOLUMN *pc = &rgcol[i];
        int fHas = prow->rgcval[i] > 0 || (pc->grbit & ESEPY_ESE_ENCCOL_DEFAULT);
        if (pc->fid < 128) {
            cfixed++;
            if (fHas)
                lastFixed = cfixed;
        } else if (pc->fid < 256) {
            cvar++;
            if (fHas)
                lastVar = cvar;
        }
        if (pc->fid < 256 && prow->rgcval[i] > 1)
            return enc_fail(perr, ESEPY_ESE_ENCERR_MULTI, i, 0);
        if (pc->fid == 0 || pc->fid > 0xffffu || (pc->fid < 128 && pc->cbFixed > 255))
            return JET_errInvalidParameter;
    }
    if (cfixed > 127 || cvar > 128)
        return JET_errInvalidParameter; /* E1 rests on these bounds */
    uint32_t ib = 4;
    uint32_t ibNull = 0, ifixed = 0;
    /* pass 1: fixed data; the null bits follow it */
    uint32_t cbFixed = 0;
    for (uint32_t i = 0, n = 0; i < ptab->ccol && n < lastFixed; i++)
        if (rgcol[i].fid < 128) {
            cbFixed += rgcol[i].cbFixed;
            n++;
        }
    ibNull = 4 + cbFixed;
    memset(pb + ibNull, 0, (lastFixed + 7) / 8);
    ival = 0;
    for (uint32_t i = 0; i < ptab->ccol; i++) {
        const ESEPY_ESE_ENCCOLUMN *pc = &rgcol[i];
        uint32_t c = prow->rgcval[i];
        if (pc->fid < 128 && ifixed < lastFixed) {
            if (c == 0) {
                memset(pb + ib, 0, pc->cbFixed);
                pb[ibNull + ifixed / 8] |= (uint8_t)(1u << (ifixed % 8));
            } else {
                const ESEPY_ESE_ENCVALUE *pv = &prow->rgval[ival];
                if (pv->cb == pc->cbFixed || (pc->coltyp == JET_coltypBinary && pv->cb < pc->cbFixed)) {
                    if (pv->cb)
                        memcpy(pb + ib, pv->pv, pv->cb);
                    memset(pb + ib + pv->cb, 0, pc->cbFixed - pv->cb);
                } else {
                    return enc_fail(perr, ESEPY_ESE_ENCERR_FIXED_SIZE, i, pv->cb);
                }
            }
            ib += pc->cbFixed;
            ifixed++;
        }
        ival += c;
    }
    ib = ibNull + (lastFixed + 7) / 8;
    uint32_t ibVarOffsets = ib;
    /* variable columns: offsets (end of each value, 0x8000 for NULL), then data */
    uint32_t ibVarData = ibVarOffsets + 2 * lastVar, cbVarData = 0, ivar = 0;
    ival = 0;
    for (uint32_t i = 0; i < ptab->ccol; i++) {
        const ESEPY_ESE_ENCCOLUMN *pc = &rgcol[i];
        uint32_t c = prow->rgcval[i];
        if (pc->fid >= 128 && pc->fid < 256 && ivar < lastVar) {
            if (c == 0) {
                le_put16(pb + ibVarOffsets + 2 * ivar, (uint16_t)(cbVarData | 0x8000u));
            } else {
                const ESEPY_ESE_ENCVALUE *pv = &prow->rgval[ival];
                if (pv->cb > 255)
                    return enc_fail(perr, ESEPY_ESE_ENCERR_VAR_SIZE, i, pv->cb);
                if (pv->cb)
                    memcpy(pb + ibVarData + cbVarData, pv->pv, pv->cb);
                cbVarData += pv->cb;
                le_put16(pb + ibVarOffsets + 2 * ivar, (uint16_t)cbVarData);
            }
            ivar++;
        }
        ival += c;
    }
    pb[0] = (uint8_t)lastFixed;
    pb[1] = (uint8_t)(127 + lastVar);
    le_put16(pb + 2, (uint16_t)ibVarOffsets);
    ib = ibVarData + cbVarData;
    /* tagged columns, in fid order: size first (E1), then the bytes */
    uint32_t cfield = 0;
    uint64_t cbPayload = 0;
    ival = 0;
    for (uint32_t i = 0; i < ptab->ccol; i++) {
        const ESEPY_ESE_ENCCOLUMN *pc = &rgcol[i];
        uint32_t c = prow->rgcval[i];
        if (pc->fid >= 256 && c > 0) {
            int fLong = enc_is_long(pc->coltyp);
            for (uint32_t k = 0; k < c; k++) {
                uint32_t cbv = prow->rgval[ival + k].cb;
                cbPayload += (fLong && cbv > ptab->cbIntrinsicMax) ? ENC_SEP_CB : cbv;
            }
            int fHeader = c > 1 || fLong || ptab->fLarge;
            cbPayload += (c > 1 ? 2 * (uint64_t)c : 0) + (fHeader ? 1 : 0);
            cfield++;
        }
        ival += c;
    }
    if (cfield) {
        uint32_t cbArea = 4 * cfield;
        uint32_t cbLimit = ptab->fLarge ? 0x7fffu : 0x1fffu;
        if (cbArea + cbPayload > cbLimit) {
            uint64_t cbTotal = cbArea + cbPayload;
            return enc_fail(perr, ESEPY_ESE_ENCERR_TAGGED_SIZE, 0, cbTotal > 0xffffffffu ? 0xffffffffu
                                                                                         : (uint32_t)cbTotal);
        }
        uint8_t *pbArea = pb + ib, *pbPay = pb + ib + cbArea;
        uint32_t cbPay = 0, ifield = 0;
        ival = 0;
        for (uint32_t i = 0; i < ptab->ccol; i++) {
            const ESEPY_ESE_ENCCOLUMN *pc = &rgcol[i];
            uint32_t c = prow->rgcval[i];
            if (pc->fid >= 256 && c > 0) {
                int fLong = enc_is_long(pc->coltyp);
                uint32_t ibField = cbArea + cbPay;
                uint8_t bFlags = fLong ? ENC_TAG_LONGVALUE : 0;
                int fHeader = c > 1 || fLong || ptab->fLarge;
                uint32_t ibFlags = cbPay;
                if (fHeader) {
                    cbPay++;
                    if (!ptab->fLarge)
                        ibField |= 0x4000u;
                }
                if (c == 1) {
                    const ESEPY_ESE_ENCVALUE *pv = &prow->rgval[ival];
                    if (fLong && pv->cb > ptab->cbIntrinsicMax) {
                        JET_ERR err = ptab->pfnSeparate(ptab->pvCtx, i, pv->pv, pv->cb, pbPay + cbPay);
                        if (err < 0)
                            return err;
                        cbPay += ENC_SEP_CB;
                        bFlags |= ENC_TAG_SEPARATED;
                    } else {
                        if (pv->cb)
                            memcpy(pbPay + cbPay, pv->pv, pv->cb);
                        cbPay += pv->cb;
                    }
                } else {
                    bFlags |= ENC_TAG_MULTI;
                    uint32_t ibHead = cbPay, cbBody = 0;
                    cbPay += 2 * c;
                    for (uint32_t k = 0; k < c; k++) {
                        const ESEPY_ESE_ENCVALUE *pv = &prow->rgval[ival + k];
                        uint32_t off = 2 * c + cbBody;
                        if (fLong && pv->cb > ptab->cbIntrinsicMax) {
                            JET_ERR err = ptab->pfnSeparate(ptab->pvCtx, i, pv->pv, pv->cb, pbPay + cbPay);
                            if (err < 0)
                                return err;
                            off |= 0x8000u;
                            cbPay += ENC_SEP_CB;
                            cbBody += ENC_SEP_CB;
                        } else {
                            if (pv->cb)
                                memcpy(pbPay + cbPay, pv->pv, pv->cb);
                            cbPay += pv->cb;
                            cbBody += pv->cb;
                        }
                        le_put16(pbPay + ibHead + 2 * k, (uint16_t)off);
                    }
                }
                if (fHeader)
                    pbPay[ibFlags] = bFlags;
                le_put16(pbArea + 4 * ifield, (uint16_t)pc->fid);
                le_put16(pbArea + 4 * ifield + 2, (uint16_t)ibField);
                ifield++;
            }
            ival += c;
        }
        ib += cbArea + cbPay;
    }
    *pcbOut = ib;
    return JET_errSuccess;
}

/* ---- keys ----------------------------------------------------------------------- */

typedef struct {
    uint8_t  rgb[ESEPY_ESE_ENC_KEY_MAX];
    uint32_t cb, cbMost;
    uint8_t  bXor;        /* 0xff in a descending segment */
} enc_key;

/* E2: bytes past the key most are dropped */
static void key_put(enc_key *pk, uint8_t b)
{
    if (pk->cb < pk->cbMost)
        pk->rgb[pk->cb++] = (uint8_t)(b ^ pk->bXor);
}

static void key_put_be(enc_key *pk, uint64_t v, uint32_t cb)
{
    for (uint32_t i = cb; i-- > 0;)
        key_put(pk, (uint8_t)(v >> (8 * i)));
}

static uint64_t get_le(const uint8_t *pb, uint32_t cb)
{
    uint64_t v = 0;
    for (uint32_t i = cb; i-- > 0;)
        v = (v << 8) | pb[i];
    return v;
}

/* A float's bits in an order-preserving form: negative numbers all bits
 * inverted, others the sign bit flipped. */
static uint64_t flip_float(uint64_t bits, uint32_t cbits)
{
    uint64_t high = (uint64_t)1 << (cbits - 1);
    uint64_t mask = cbits == 64 ? ~(uint64_t)0 : ((uint64_t)1 << cbits) - 1;
    return (bits & high) ? (~bits & mask) : (bits ^ high);
}

static JET_ERR key_segment(const ESEPY_ESE_ENCTABLE *ptab, uint32_t icol, const ESEPY_ESE_ENCVALUE *pv, int fDesc,
                           uint32_t grbitIx, enc_key *pk, uint32_t *pfSubstitute, ESEPY_ESE_ENCERROR *perr)
{
    const ESEPY_ESE_ENCCOLUMN *pc = &ptab->rgcol[icol];
    uint32_t t = pc->coltyp;
    pk->bXor = fDesc ? 0xffu : 0;
    if (pv == NULL) {
        if (grbitIx & ESEPY_ESE_ENCIX_SORT_NULLS_HIGH) {
            pk->bXor = 0;
            key_put(pk, fDesc ? 0x00u : 0xffu);
        } else {
            key_put(pk, KEY_PREFIX_NULL);
        }
        return JET_errSuccess;
    }
    const uint8_t *pb = pv->pv;
    uint32_t cb = pv->cb;
    if (enc_is_text(t) && pc->cp == 1200) {
        *pfSubstitute = 1;
        if (cb == 0) {
            key_put(pk, KEY_PREFIX_ZERO_LENGTH);
            return JET_errSuccess;
        }
        key_put(pk, KEY_PREFIX_DATA);
        uint8_t rgb[ESEPY_ESE_ENC_KEY_MAX];
        uint32_t cbFold = 0;
        if (ptab->pfnFold != NULL) {
            JET_ERR err = ptab->pfnFold(ptab->pvCtx, pb, cb, rgb, sizeof(rgb), &cbFold);
            if (err < 0)
                return err;
            for (uint32_t i = 0; i < cbFold && i < sizeof(rgb); i++)
                key_put(pk, rgb[i]);
        } else {
            for (uint32_t i = 0; i + 1 < cb; i += 2) {
                uint16_t w = (uint16_t)(pb[i] | (pb[i + 1] << 8));
                if (w >= 'a' && w <= 'z')
                    w = (uint16_t)(w - 0x20);
                key_put_be(pk, w, 2);
            }
        }
        key_put(pk, 0);
        key_put(pk, 0);
        return JET_errSuccess;
    }
    if ((t == JET_coltypBinary || t == JET_coltypLongBinary || enc_is_text(t)) && cb == 0) {
        key_put(pk, KEY_PREFIX_ZERO_LENGTH);
        return JET_errSuccess;
    }
    uint32_t cbWant = 0;
    switch (t) {
    case JET_coltypBit:
    case JET_coltypUnsignedByte:
        cbWant = 1;
        break;
    case JET_coltypShort:
    case JET_coltypUnsignedShort:
        cbWant = 2;
        break;
    case JET_coltypLong:
    case JET_coltypUnsignedLong:
    case JET_coltypIEEESingle:
        cbWant = 4;
        break;
    case JET_coltypLongLong:
    case JET_coltypCurrency:
    case JET_coltypUnsignedLongLong:
    case JET_coltypIEEEDouble:
    case JET_coltypDateTime:
        cbWant = 8;
        break;
    case JET_coltypGUID:
        cbWant = 16;
        break;
    default:
        break;
    }
    if (cbWant && cb != cbWant && !(t == JET_coltypBit && cb > 0))
        return enc_fail(perr, ESEPY_ESE_ENCERR_KEY_VALUE, icol, cb);
    key_put(pk, KEY_PREFIX_DATA);
    switch (t) {
    case JET_coltypBit:
        key_put(pk, (cb == 1 && pb[0] == 0) ? 0x00u : 0xffu);
        break;
    case JET_coltypUnsignedByte:
        key_put(pk, pb[0]);
        break;
    case JET_coltypShort:
        key_put_be(pk, get_le(pb, 2) ^ 0x8000u, 2);
        break;
    case JET_coltypUnsignedShort:
        key_put_be(pk, get_le(pb, 2), 2);
        break;
    case JET_coltypLong:
        key_put_be(pk, get_le(pb, 4) ^ 0x80000000u, 4);
        break;
    case JET_coltypUnsignedLong:
        key_put_be(pk, get_le(pb, 4), 4);
        break;
    case JET_coltypLongLong:
    case JET_coltypCurrency:
        key_put_be(pk, get_le(pb, 8) ^ ((uint64_t)1 << 63), 8);
        break;
    case JET_coltypUnsignedLongLong:
        key_put_be(pk, get_le(pb, 8), 8);
        break;
    case JET_coltypIEEESingle:
        key_put_be(pk, flip_float(get_le(pb, 4), 32), 4);
        break;
    case JET_coltypIEEEDouble:
    case JET_coltypDateTime:
        key_put_be(pk, flip_float(get_le(pb, 8), 64), 8);
        break;
    case JET_coltypGUID: {
        /* the order of the GUID's text form */
        static const uint8_t rgi[16] = { 10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3 };
        for (uint32_t i = 0; i < 16; i++)
            key_put(pk, pb[rgi[i]]);
        break;
    }
    case JET_coltypBinary:
    case JET_coltypLongBinary:
        if (pc->fid < 128) {
            for (uint32_t i = 0; i < cb; i++)
                key_put(pk, pb[i]);
        } else {
            /* 8-byte chunks, each followed by 9 (more follow) or its length (the last, zero-padded) */
            for (uint32_t i = 0; i < cb; i += 8) {
                uint32_t n = cb - i < 8 ? cb - i : 8;
                for (uint32_t j = 0; j < 8; j++)
                    key_put(pk, j < n ? pb[i + j] : 0);
                key_put(pk, (uint8_t)(i + 8 < cb ? 9 : n));
            }
        }
        break;
    case JET_coltypText:
    case JET_coltypLongText:
        /* cp 1252: cut at a NUL, a-z upper-cased, a 0 terminator */
        for (uint32_t i = 0; i < cb && pb[i] != 0; i++)
            key_put(pk, (uint8_t)(pb[i] >= 'a' && pb[i] <= 'z' ? pb[i] - 0x20 : pb[i]));
        key_put(pk, 0);
        break;
    default:
        return enc_fail(perr, ESEPY_ESE_ENCERR_KEY_VALUE, icol, cb);
    }
    return JET_errSuccess;
}

JET_ERR EsepyEseEncodeKeys(const ESEPY_ESE_ENCTABLE *ptab, const ESEPY_ESE_ENCINDEX *pix,
                           const ESEPY_ESE_ENCROW *prow, ESEPY_ESE_PFNKEY pfnKey, void *pvKeyCtx,
                           uint32_t *pfSubstitute, ESEPY_ESE_ENCERROR *perr)
{
    memset(perr, 0, sizeof(*perr));
    /* first value of each column */
    uint32_t rgivalStack[64];
    uint32_t *rgival = ptab->ccol <= 64 ? rgivalStack : os_malloc(sizeof(uint32_t) * ptab->ccol);
    if (rgival == NULL)
        return JET_errOutOfMemory;
    uint32_t ival = 0;
    for (uint32_t i = 0; i < ptab->ccol; i++) {
        rgival[i] = ival;
        ival += prow->rgcval[i];
    }
    /* one key per value of the first key column with several values */
    uint32_t isegMulti = pix->cseg, ccombo = 1;
    for (uint32_t s = 0; s < pix->cseg; s++) {
        uint32_t c = prow->rgcval[pix->rgicol[s]];
        if (c > 1) {
            isegMulti = s;
            ccombo = c;
            break;
        }
    }
    JET_ERR err = JET_errSuccess;
    uint32_t cbMost = ptab->cbKeyMost < ESEPY_ESE_ENC_KEY_MAX ? ptab->cbKeyMost : ESEPY_ESE_ENC_KEY_MAX;
    for (uint32_t k = 0; k < ccombo && err >= 0; k++) {
        uint32_t cnull = 0;
        int fFirstNull = 0;
        for (uint32_t s = 0; s < pix->cseg; s++)
            if (prow->rgcval[pix->rgicol[s]] == 0) {
                cnull++;
                if (s == 0)
                    fFirstNull = 1;
            }
        if (cnull == pix->cseg && (pix->grbit & (ESEPY_ESE_ENCIX_IGNORE_NULL | ESEPY_ESE_ENCIX_IGNORE_ANY_NULL |
                                                 ESEPY_ESE_ENCIX_IGNORE_FIRST_NULL)))
            continue;
        if (cnull && (pix->grbit & ESEPY_ESE_ENCIX_IGNORE_ANY_NULL))
            continue;
        if (fFirstNull && (pix->grbit & ESEPY_ESE_ENCIX_IGNORE_FIRST_NULL))
            continue;
        if (cnull && (pix->grbit & (ESEPY_ESE_ENCIX_DISALLOW_NULL | ESEPY_ESE_ENCIX_PRIMARY))) {
            err = enc_fail(perr, ESEPY_ESE_ENCERR_NULL_KEY, 0, 0);
            break;
        }
        enc_key key;
        key.cb = 0;
        key.cbMost = cbMost;
        for (uint32_t s = 0; s < pix->cseg && err >= 0; s++) {
            uint32_t icol = pix->rgicol[s];
            const ESEPY_ESE_ENCVALUE *pv = prow->rgcval[icol] == 0 ? NULL
                                         : &prow->rgval[rgival[icol] + (s == isegMulti ? k : 0)];
            err = key_segment(ptab, icol, pv, pix->rgfDescending[s] != 0, pix->grbit, &key, pfSubstitute, perr);
        }
        if (err >= 0)
            err = pfnKey(pvKeyCtx, key.rgb, key.cb);
    }
    if (rgival != rgivalStack)
        os_free(rgival);
    return err;
}
