/*
 * util.c -- small decoders shared by the esefmt layer: the XOR and ECC
 * checksums of headers, pages and log segments, and the LOGTIME, SIGNATURE
 * and LGPOS field formats.
 * Must not touch: files or allocation (pure functions of their arguments).
 */
#include "esefmt_int.h"

uint32_t esefmt_checksum_xor(const uint8_t *pb, size_t cb)
{
    uint32_t x = 0x89ABCDEFu;
    /* word 0 is the stored checksum itself and is left out */
    for (size_t ib = 4; ib + 4 <= cb; ib += 4)
        x ^= le_get32(pb + ib);
    return x;
}

static inline uint32_t parity_mask(uint32_t v)
{
    return (__builtin_popcount(v) & 1) ? 0xFFFFFFFFu : 0u;
}

uint64_t esefmt_checksum_ecc(const uint8_t *pb, uint32_t cb, uint32_t pgno, int fHeaderBlock)
{
    /* The block is read as rows of four 32-bit words.  Column parities are
     * accumulated in c0..c3; the parity of each row selects a "double index"
     * that is folded into the ECC word p. */
    uint32_t p = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    uint32_t idxp = 0xFF800000u;
    for (uint32_t ib = 0; ib + 16 <= cb; ib += 16) {
        uint32_t w0 = le_get32(pb + ib), w1 = le_get32(pb + ib + 4);
        uint32_t w2 = le_get32(pb + ib + 8), w3 = le_get32(pb + ib + 12);
        if (ib == 0 && fHeaderBlock)
            w0 = w1 = 0; /* the stored checksum counts as zero */
        c0 ^= w0;
        c1 ^= w1;
        c2 ^= w2;
        c3 ^= w3;
        p ^= idxp & parity_mask(w0 ^ w1 ^ w2 ^ w3);
        idxp += 0xFF800080u;
    }
    p |= 0x00400000u & parity_mask(c0 ^ c1);
    p |= 0x00000040u & parity_mask(c2 ^ c3);
    uint32_t r0 = c0 ^ c2, r1 = c1 ^ c3;
    p |= 0x00200000u & parity_mask(r0);
    p |= 0x00000020u & parity_mask(r1);
    uint32_t x = r0 ^ r1;
    uint32_t r = 0, idxr = 0xFFFF0000u;
    for (uint32_t i = 0; i < 32; i++) {
        if (x & (1u << i))
            r ^= idxr;
        idxr += 0xFFFF0001u;
    }
    uint32_t mask = (uint32_t)((uint32_t)(cb << 19) - 1u); /* 32-bit wrap intended (8 KiB -> all ones) */
    uint32_t ecc = (p & 0xFFE0FFE0u & mask) | (r & 0x001F001Fu);
    return ((uint64_t)ecc << 32) | (uint64_t)(x ^ pgno);
}

void esefmt_logtime(const uint8_t *pb, ESEPY_ESE_TIME *pt)
{
    memset(pt, 0, sizeof(*pt));
    int fAllZero = 1;
    for (int i = 0; i < 8; i++)
        if (pb[i])
            fAllZero = 0;
    if (fAllZero)
        return;
    pt->second = pb[0];
    pt->minute = pb[1];
    pt->hour = pb[2];
    pt->day = pb[3];
    pt->month = pb[4];
    pt->year = (uint16_t)(1900 + pb[5]);
    pt->fUTC = pb[6] & 1;
    pt->millisecond = (uint16_t)((pb[6] >> 1) | (((pb[7] >> 1) & 7u) << 7));
}

void esefmt_signature(const uint8_t *pb, ESEPY_ESE_SIGNATURE *ps)
{
    memset(ps, 0, sizeof(*ps));
    ps->ulRandom = le_get32(pb);
    esefmt_logtime(pb + 4, &ps->logtimeCreate);
    size_t n = 0;
    for (size_t i = 0; i < 16 && pb[12 + i]; i++)
        ps->szComputerName[n++] = (pb[12 + i] >= 0x20 && pb[12 + i] < 0x7F) ? (char)pb[12 + i] : '?';
    ps->szComputerName[n] = '\0';
}

void esefmt_lgpos(const uint8_t *pb, ESEPY_ESE_LGPOS *pl)
{
    pl->ib = le_get16(pb);
    pl->isec = le_get16(pb + 2);
    pl->lGeneration = (int32_t)le_get32(pb + 4);
}
