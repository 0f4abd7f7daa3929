/*
 * cache_int.h -- private declarations of the page-cache layer (cache.c,
 * dbheader.c) and the debug hooks its unit tests use.
 *
 * Owns: the block checksum, the valid page sizes, and cache_get_stats().
 * Must not be included outside csrc/cache/ and tests/c_unit/cache_test.c:
 * other layers use cache.h only.
 */
#ifndef ESEPY_CACHE_INT_H
#define ESEPY_CACHE_INT_H

#include <stdint.h>
#include <string.h>

#include "cache.h"
#include "le.h"

/* Database ids a cache accepts: 1..CACHE_DBID_MAX. */
#define CACHE_DBID_MAX 7

/* The largest page size; also the largest header block. */
#define CACHE_CB_PAGE_MAX 32768u
/* Every header copy is at least this large; db_header_read reads this much
 * first to learn the stored page size. */
#define CACHE_CB_PAGE_MIN 4096u

static inline int cache_page_size_valid(uint32_t cb)
{
    return cb == 4096 || cb == 8192 || cb == 16384 || cb == 32768;
}

/* crc32c of bytes 4..cb-1 of a block, seeded with `seed` (the pgno for data
 * pages, 0 for header copies).  Stored little-endian in bytes 0..3. */
static inline uint32_t cache_block_crc(const uint8_t *pv, uint32_t cb, uint32_t seed)
{
    return os_crc32c(seed, pv + 4, cb - 4);
}

/* ---- debug counters (tests) ---------------------------------------------- */

typedef struct cache_stats {
    uint32_t cframes;     /* frames allocated so far (never shrinks; C3: <= cpagesMax) */
    uint32_t cframesMax;  /* cpagesMax */
    uint32_t cdirty;      /* frames dirty now */
    uint32_t clatched;    /* frames latched now (shared or exclusive) */
    uint64_t creads;      /* pages read from files */
    uint64_t cwrites;     /* pages written to files */
    uint64_t cevictions;  /* frames taken from one page for another */
} cache_stats;

void cache_get_stats(cache *pc, cache_stats *ps);

#endif /* ESEPY_CACHE_INT_H */
