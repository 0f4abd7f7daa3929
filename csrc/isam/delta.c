/*
 * delta.c -- the escrow delta codec: a delta version's bytes in UNDO_DELTA
 * records (ver_delta_encode / ver_delta_decode) and a delta applied to, or
 * taken back from, a record's fixed column (rec_delta_apply, rec_delta_value).
 *
 * Owns: the VER_DELTA_SIZE layout (little-endian, csrc/os/le.h).
 * Must not touch: versions, transactions or locks (ver.c), trees, files.
 * Pure functions: callers in ver.c and recovery.c hold whatever lock the
 * record needs.  Invariant D1: a delta wraps modulo the column's width
 * (delta_mask), so apply followed by undo restores the column's bytes.
 */
#include "isam_int.h"

#include <string.h>

static uint64_t delta_mask(uint32_t cb)
{
    return cb >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * cb)) - 1;
}

void ver_delta_encode(const ver_delta *pd, uint8_t out[VER_DELTA_SIZE])
{
    le_put32(out, pd->rc.columnid);
    le_put32(out + 4, pd->rc.coltyp);
    le_put32(out + 8, pd->rc.cbMax);
    le_put32(out + 12, pd->rc.grbit);
    le_put16(out + 16, pd->rc.cp);
    le_put16(out + 18, 0);
    le_put64(out + 20, (uint64_t)pd->delta);
    le_put64(out + 28, pd->dflt);
    le_put64(out + 36, pd->after);
}

JET_ERR ver_delta_decode(const uint8_t *pb, uint32_t cb, ver_delta *pd)
{
    if (cb < VER_DELTA_SIZE)
        return JET_errLogFileCorrupt;
    memset(pd, 0, sizeof(*pd));
    pd->rc.columnid = le_get32(pb);
    pd->rc.coltyp = le_get32(pb + 4);
    pd->rc.cbMax = le_get32(pb + 8);
    pd->rc.grbit = le_get32(pb + 12);
    pd->rc.cp = le_get16(pb + 16);
    pd->delta = (int64_t)le_get64(pb + 20);
    pd->dflt = le_get64(pb + 28);
    pd->after = le_get64(pb + 36);
    /* escrow columns are fixed Long / LongLong */
    if (!((pd->rc.coltyp == JET_coltypLong && pd->rc.cbMax == 4) ||
          (pd->rc.coltyp == JET_coltypLongLong && pd->rc.cbMax == 8)) ||
        pd->rc.columnid == 0 || pd->rc.columnid > JET_ccolFixedMost)
        return JET_errLogFileCorrupt;
    return JET_errSuccess;
}

JET_ERR rec_delta_value(const uint8_t *pb, uint32_t cb, const ver_delta *pd, uint64_t *pv)
{
    const void *pvCol;
    uint32_t cbCol;
    JET_ERR err = rec_get(pb, cb, &pd->rc, 1, &pvCol, &cbCol, NULL);
    if (err < 0)
        return err;
    if (err == JET_wrnColumnNull) {
        *pv = pd->dflt & delta_mask(pd->rc.cbMax);
        return JET_errSuccess;
    }
    if (cbCol != pd->rc.cbMax)
        return JET_errDatabaseCorrupted;
    uint64_t v = 0;
    for (uint32_t i = cbCol; i > 0; i--)
        v = (v << 8) | ((const uint8_t *)pvCol)[i - 1];
    *pv = v;
    return JET_errSuccess;
}

JET_ERR rec_delta_apply(rec_buf *prec, const ver_delta *pd, int fUndo, uint64_t *pold, uint64_t *pnew)
{
    uint64_t old = 0;
    JET_ERR err = rec_delta_value(prec->pb, prec->cb, pd, &old);
    if (err < 0)
        return err;
    uint64_t d = (uint64_t)pd->delta;
    uint64_t v = (fUndo ? old - d : old + d) & delta_mask(pd->rc.cbMax);
    uint8_t b[8];
    for (uint32_t i = 0; i < pd->rc.cbMax; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    err = rec_set(prec, &pd->rc, 1, b, pd->rc.cbMax, 0, UINT32_MAX);
    if (err < 0)
        return err;
    if (pold)
        *pold = old;
    if (pnew)
        *pnew = v;
    return JET_errSuccess;
}

