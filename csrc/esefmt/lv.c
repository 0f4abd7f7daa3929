/*
 * lv.c -- separated long values: looking a LID up in a table's long-value
 * tree (root node: reference count and logical size; chunk nodes keyed by
 * LID + offset, big-endian) and reassembling the chunks, decompressing each
 * chunk that is stored shorter than its logical length.
 * Must not touch: records, the catalog (it only reads the table's LV root).
 * Invariants: output writes stay below cbMax; chunks must be contiguous from
 * offset 0 and cover exactly the root's size, else JET_errLVCorrupted; the
 * walk is bounded like every tree walk.
 */
#include "esefmt_int.h"

/* Upper bound for a believable LV size, to refuse absurd sizes from damaged
 * roots before anyone allocates for them. */
static uint64_t lv_size_max(const ESEPY_ESE_FILE *pfile)
{
    uint64_t cb = pfile->cbFile * 64;
    if (cb < (16u << 20))
        cb = 16u << 20;
    return cb > 0x7FFFFFFFu ? 0x7FFFFFFFu : cb;
}

typedef struct {
    uint8_t  *pbOut;
    uint32_t  cbOut;         /* caller's buffer size (>= ulSize here) */
    uint32_t  ulSize;
    uint32_t  ibExpected;    /* where the next chunk must start */
    uint8_t  *pbPending;     /* copy of the chunk waiting for its logical length */
    uint32_t  cbPending, ibPending;
    int       fPending;
    uint32_t  info;
} lv_asm;

/* Place the pending chunk, whose logical length ends at ibEnd. */
static JET_ERR lv_flush(lv_asm *pa, uint32_t ibEnd)
{
    if (!pa->fPending)
        return JET_errSuccess;
    pa->fPending = 0;
    if (ibEnd < pa->ibPending || ibEnd > pa->ulSize)
        return JET_errLVCorrupted;
    uint32_t cbLogical = ibEnd - pa->ibPending;
    if (pa->cbPending == cbLogical) {
        memcpy(pa->pbOut + pa->ibPending, pa->pbPending, cbLogical);
        return JET_errSuccess;
    }
    if (pa->cbPending > cbLogical)
        return JET_errLVCorrupted;
    /* stored shorter than its logical length: compressed */
    uint32_t cbOut, scheme = 0;
    JET_ERR err = esefmt_decompressed_size(pa->pbPending, pa->cbPending, &cbOut, &scheme);
    pa->info |= ESEPY_ESE_VALUE_COMPRESSED | ((scheme & 0xFFu) << ESEPY_ESE_VALUE_SCHEME_SHIFT);
    if (err < 0)
        return err;
    if (cbOut != cbLogical)
        return JET_errLVCorrupted;
    return esefmt_decompress(pa->pbPending, pa->cbPending, pa->pbOut + pa->ibPending, cbLogical);
}

JET_ERR esefmt_lv_read(ESEPY_ESE_FILE *pfile, const esefmt_table *ptable, const uint8_t *pbLid, uint32_t cbLid,
                       uint8_t *pv, uint32_t cbMax, uint32_t *pcbActual, uint32_t *pgrbitInfo)
{
    *pcbActual = 0;
    if (ptable->pgnoFDPLV == 0 || (cbLid != 4 && cbLid != 8))
        return JET_errLVCorrupted;
    uint8_t rgbKey[8];
    for (uint32_t i = 0; i < cbLid; i++)
        rgbKey[i] = pbLid[cbLid - 1 - i]; /* stored little-endian, keyed big-endian */

    esefmt_walk walk;
    JET_ERR err = esefmt_walk_init(pfile, ptable->pgnoFDPLV, ptable->objidLV, &walk);
    if (err < 0)
        return err;
    lv_asm a;
    memset(&a, 0, sizeof(a));
    esefmt_node node;
    err = esefmt_walk_seek(&walk, rgbKey, cbLid);
    if (err < 0)
        goto done_lv;
    /* the root: key == LID exactly */
    for (;;) {
        err = esefmt_walk_next(&walk, &node);
        if (err < 0) {
            err = JET_errLVCorrupted;
            goto done_lv;
        }
        if (node.fFlags & ESEFMT_ND_DELETED)
            continue;
        break;
    }
    if (walk.cbKey != cbLid || memcmp(walk.rgbKey, rgbKey, cbLid) != 0 || node.cbData < 8) {
        err = JET_errLVCorrupted;
        goto done_lv;
    }
    a.ulSize = le_get32(node.pbData + 4);
    if (node.cbData >= 9 && (node.pbData[8] & 0x01)) {
        err = JET_errFeatureNotAvailable; /* encrypted LV */
        goto done_lv;
    }
    if (a.ulSize > lv_size_max(pfile)) {
        err = JET_errLVCorrupted;
        goto done_lv;
    }
    *pcbActual = a.ulSize;
    if (cbMax < a.ulSize) {
        err = JET_wrnBufferTruncated;
        goto done_lv;
    }
    a.pbOut = pv;
    a.cbOut = cbMax;
    a.pbPending = os_malloc(pfile->cbPage);
    if (a.pbPending == NULL) {
        err = JET_errOutOfMemory;
        goto done_lv;
    }
    for (;;) {
        err = esefmt_walk_next(&walk, &node);
        if (err == JET_errNoCurrentRecord)
            break;
        if (err < 0)
            goto done_lv;
        if (walk.cbKey != cbLid + 4 || memcmp(walk.rgbKey, rgbKey, cbLid) != 0)
            break;
        if (node.fFlags & ESEFMT_ND_DELETED)
            continue;
        uint32_t ib = be_get32(walk.rgbKey + cbLid);
        if (a.fPending) {
            err = lv_flush(&a, ib);
            if (err < 0)
                goto done_lv;
        } else if (ib != 0) {
            err = JET_errLVCorrupted; /* the first chunk is missing */
            goto done_lv;
        }
        if (ib >= a.ulSize || node.cbData > pfile->cbPage) {
            err = JET_errLVCorrupted;
            goto done_lv;
        }
        memcpy(a.pbPending, node.pbData, node.cbData);
        a.cbPending = node.cbData;
        a.ibPending = ib;
        a.fPending = 1;
        a.ibExpected = ib;
    }
    if (a.fPending) {
        err = lv_flush(&a, a.ulSize);
        if (err < 0)
            goto done_lv;
    } else if (a.ulSize != 0) {
        err = JET_errLVCorrupted;
        goto done_lv;
    }
    err = JET_errSuccess;
done_lv:
    if (pgrbitInfo)
        *pgrbitInfo = a.info;
    os_free(a.pbPending);
    esefmt_walk_term(&walk);
    return err;
}
