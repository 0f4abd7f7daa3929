/*
 * lsn.h -- log positions (lsn_t), shared by every layer from the page cache up.
 *
 * An lsn_t is a JET_LGPOS packed as ESE compares it:
 *     lsn = (generation << 32) | (isec << 16) | ib
 * where isec counts 4096-byte log sectors in the generation's file (sector 0
 * is the file header, so the first record of a generation is at isec 1, ib 0)
 * and ib is the byte offset in the sector.  Comparing lsn_t values compares
 * positions.  Defined here, at the bottom, so that the page cache (below the
 * log) can keep page lsns without depending on the log layer.
 */
#ifndef ESEPY_LSN_H
#define ESEPY_LSN_H

#include <stdint.h>
#include "esent.h"

typedef uint64_t lsn_t;
#define LSN_NIL ((lsn_t)0)
#define LSN_MAKE(gen, isec, ib) (((lsn_t)(uint32_t)(gen) << 32) | ((lsn_t)(uint16_t)(isec) << 16) | (lsn_t)(uint16_t)(ib))
#define LSN_GEN(l)  ((int32_t)((l) >> 32))
#define LSN_ISEC(l) ((uint16_t)((l) >> 16))
#define LSN_IB(l)   ((uint16_t)(l))

static inline JET_LGPOS lsn_to_lgpos(lsn_t lsn)
{
    JET_LGPOS p = { LSN_IB(lsn), LSN_ISEC(lsn), LSN_GEN(lsn) };
    return p;
}

static inline lsn_t lgpos_to_lsn(const JET_LGPOS *p)
{
    return LSN_MAKE(p->lGeneration, p->isec, p->ib);
}

#endif /* ESEPY_LSN_H */
