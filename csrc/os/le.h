/*
 * le.h -- byte-order codecs for every on-disk and on-wire format: the one
 * place where integers become bytes and back.
 *
 * Owns: le_get/le_put (little-endian: every integer esepy writes to a file --
 * page and node headers, records, log records, checkpoint, database header,
 * backup trailer, crash journal -- and every integer of Windows ESE files) and
 * be_get/be_put (big-endian: normalized keys and the few ESE fields that sort
 * as bytes), 16, 32 and 64 bits; and the encodings of LOGTIME (8 bytes, whose
 * two bit-field bytes a struct copy would lay out by the compiler's rules) and
 * SIGNATURE (28 bytes), which every file header and several records embed.
 * Must not touch: anything but the bytes it is given.  Header-only, no state,
 * so every layer (os is the lowest) and the tests include it.
 *
 * Invariant: the encoding never depends on the host.  Values are built from
 * byte shifts, never from a pointer cast or a memcpy of an integer, so a buffer
 * may be unaligned and a big-endian host (s390x) writes the same bytes as
 * x86-64.  Write on-disk integers with these and nothing else.
 */
#ifndef ESEPY_LE_H
#define ESEPY_LE_H

#include <stdint.h>
#include <string.h>
#include "esent.h"

/* ---- little-endian --------------------------------------------------------- */

static inline uint16_t le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t le_get64(const uint8_t *p)
{
    return (uint64_t)le_get32(p) | ((uint64_t)le_get32(p + 4) << 32);
}

static inline void le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
    le_put32(p, (uint32_t)v);
    le_put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- big-endian (byte order = numeric order) ------------------------------ */

static inline uint16_t be_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t be_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t be_get64(const uint8_t *p)
{
    return ((uint64_t)be_get32(p) << 32) | (uint64_t)be_get32(p + 4);
}

static inline void be_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void be_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void be_put64(uint8_t *p, uint64_t v)
{
    be_put32(p, (uint32_t)(v >> 32));
    be_put32(p + 4, (uint32_t)v);
}

/* ---- LOGTIME (8 bytes) -----------------------------------------------------
 * Bytes 0-5: seconds, minutes, hours, day, month, year (since 1900).
 * Byte 6: bit 0 = time is UTC, bits 1-7 = milliseconds bits 0-6.
 * Byte 7: bit 0 = reserved, bits 1-3 = milliseconds bits 7-9, bits 4-7 unused.
 * JET_LOGTIME holds bytes 6 and 7 as bit-fields, which a big-endian ABI
 * allocates from the top bit down, so the struct's memory is not its
 * encoding: always go through these two. */
#define LE_LOGTIME_SIZE 8

static inline void le_put_logtime(uint8_t *p, const JET_LOGTIME *plt)
{
    p[0] = (uint8_t)plt->bSeconds;
    p[1] = (uint8_t)plt->bMinutes;
    p[2] = (uint8_t)plt->bHours;
    p[3] = (uint8_t)plt->bDay;
    p[4] = (uint8_t)plt->bMonth;
    p[5] = (uint8_t)plt->bYear;
    p[6] = (uint8_t)((plt->fTimeIsUTC & 1u) | ((plt->bMillisecondsLow & 0x7Fu) << 1));
    p[7] = (uint8_t)((plt->fReserved & 1u) | ((plt->bMillisecondsHigh & 0x7u) << 1) | ((plt->fUnused & 0xFu) << 4));
}

static inline void le_get_logtime(const uint8_t *p, JET_LOGTIME *plt)
{
    plt->bSeconds = (char)p[0];
    plt->bMinutes = (char)p[1];
    plt->bHours = (char)p[2];
    plt->bDay = (char)p[3];
    plt->bMonth = (char)p[4];
    plt->bYear = (char)p[5];
    plt->fTimeIsUTC = p[6] & 1u;
    plt->bMillisecondsLow = (unsigned char)(p[6] >> 1);
    plt->fReserved = p[7] & 1u;
    plt->bMillisecondsHigh = (unsigned char)((p[7] >> 1) & 0x7u);
    plt->fUnused = (unsigned char)(p[7] >> 4);
}

/* ---- SIGNATURE (28 bytes) ----------------------------------------------------
 * ulRandom u32, logtimeCreate LOGTIME, szComputerName 16 bytes as stored. */
#define LE_SIGNATURE_SIZE 28

static inline void le_put_signature(uint8_t *p, const JET_SIGNATURE *ps)
{
    le_put32(p, ps->ulRandom);
    le_put_logtime(p + 4, &ps->logtimeCreate);
    memcpy(p + 12, ps->szComputerName, 16);
}

static inline void le_get_signature(const uint8_t *p, JET_SIGNATURE *ps)
{
    memset(ps, 0, sizeof(*ps));
    ps->ulRandom = le_get32(p);
    le_get_logtime(p + 4, &ps->logtimeCreate);
    memcpy(ps->szComputerName, p + 12, 16);
}

#endif /* ESEPY_LE_H */
