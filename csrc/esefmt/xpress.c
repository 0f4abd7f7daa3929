/*
 * xpress.c -- decompression of ESE compressed values: the one-byte scheme
 * header (scheme << 3 | extra bits), 7-bit ASCII, 7-bit Unicode and XPRESS
 * (the "plain LZ77" format of Microsoft's published [MS-XCA] specification).
 * XPRESS9, XPRESS10 and LZ4 are recognised and reported as unsupported.
 * Must not touch: files, allocation, global state.  Every read of the input
 * and every write of the output is bounds-checked: damaged input yields
 * JET_errDecompressionFailed, never an out-of-bounds access.
 */
#include "esefmt_int.h"

#define SCHEME_7BITASCII   1
#define SCHEME_7BITUNICODE 2
#define SCHEME_XPRESS      3

JET_ERR esefmt_xpress_decompress(const uint8_t *pbIn, size_t cbIn, uint8_t *pbOut, size_t cbOut)
{
    size_t ibIn = 0, ibOut = 0;
    uint32_t flags = 0;
    int cflags = 0;
    size_t ibHalfByte = 0; /* position of a pending shared length nibble, 0 if none */
    int fHalfByte = 0;

    while (ibOut < cbOut) {
        if (cflags == 0) {
            if (ibIn + 4 > cbIn)
                return JET_errDecompressionFailed;
            flags = le_get32(pbIn + ibIn);
            ibIn += 4;
            cflags = 32;
        }
        cflags--;
        if (!(flags & (1u << cflags))) {
            /* literal */
            if (ibIn >= cbIn)
                return JET_errDecompressionFailed;
            pbOut[ibOut++] = pbIn[ibIn++];
            continue;
        }
        if (ibIn + 2 > cbIn)
            return JET_errDecompressionFailed;
        uint32_t match = le_get16(pbIn + ibIn);
        ibIn += 2;
        size_t len = match & 7u;
        size_t off = (match >> 3) + 1;
        if (len == 7) {
            if (!fHalfByte) {
                if (ibIn >= cbIn)
                    return JET_errDecompressionFailed;
                len = pbIn[ibIn] & 0x0Fu;
                ibHalfByte = ibIn++;
                fHalfByte = 1;
            } else {
                len = pbIn[ibHalfByte] >> 4;
                fHalfByte = 0;
            }
            if (len == 15) {
                if (ibIn >= cbIn)
                    return JET_errDecompressionFailed;
                len = pbIn[ibIn++];
                if (len == 255) {
                    if (ibIn + 2 > cbIn)
                        return JET_errDecompressionFailed;
                    len = le_get16(pbIn + ibIn);
                    ibIn += 2;
                    if (len == 0) {
                        if (ibIn + 4 > cbIn)
                            return JET_errDecompressionFailed;
                        len = le_get32(pbIn + ibIn);
                        ibIn += 4;
                    }
                    if (len < 15 + 7)
                        return JET_errDecompressionFailed;
                    len -= 15 + 7;
                }
                len += 15;
            }
            len += 7;
        }
        len += 3;
        if (off > ibOut || len > cbOut - ibOut)
            return JET_errDecompressionFailed;
        /* byte by byte: the source may overlap the destination */
        for (size_t i = 0; i < len; i++, ibOut++)
            pbOut[ibOut] = pbOut[ibOut - off];
    }
    return JET_errSuccess;
}

JET_ERR esefmt_decompressed_size(const uint8_t *pb, uint32_t cb, uint32_t *pcbOut, uint32_t *pscheme)
{
    if (cb < 1)
        return JET_errDecompressionFailed;
    uint32_t scheme = pb[0] >> 3;
    *pscheme = scheme;
    switch (scheme) {
    case SCHEME_7BITASCII:
    case SCHEME_7BITUNICODE: {
        if (cb < 2)
            return JET_errDecompressionFailed;
        uint64_t cbit = (uint64_t)(cb - 2) * 8 + (pb[0] & 7u) + 1;
        uint64_t n = cbit / 7;
        *pcbOut = (uint32_t)(scheme == SCHEME_7BITASCII ? n : 2 * n);
        return JET_errSuccess;
    }
    case SCHEME_XPRESS:
        if (cb < 3)
            return JET_errDecompressionFailed;
        *pcbOut = le_get16(pb + 1);
        return JET_errSuccess;
    default:
        /* 4 scrubbed, 5 XPRESS9, 6 XPRESS10, 7 LZ4, others unknown */
        return (scheme >= 4 && scheme <= 7) ? JET_errFeatureNotAvailable : JET_errDecompressionFailed;
    }
}

JET_ERR esefmt_decompress(const uint8_t *pb, uint32_t cb, uint8_t *pbOut, uint32_t cbOut)
{
    uint32_t cbNeed, scheme;
    JET_ERR err = esefmt_decompressed_size(pb, cb, &cbNeed, &scheme);
    if (err < 0)
        return err;
    if (cbOut != cbNeed)
        return JET_errInvalidParameter;
    if (scheme == SCHEME_XPRESS)
        return esefmt_xpress_decompress(pb + 3, cb - 3, pbOut, cbOut);
    /* 7-bit: characters are packed LSB-first after the header byte */
    uint32_t nchar = scheme == SCHEME_7BITASCII ? cbOut : cbOut / 2;
    uint32_t ib = 1, ibit = 0;
    for (uint32_t i = 0; i < nchar; i++) {
        uint32_t w = ib < cb ? pb[ib] : 0;
        if (ib + 1 < cb)
            w |= (uint32_t)pb[ib + 1] << 8;
        uint8_t ch = (uint8_t)((w >> ibit) & 0x7Fu);
        if (scheme == SCHEME_7BITASCII) {
            pbOut[i] = ch;
        } else {
            pbOut[2 * i] = ch;
            pbOut[2 * i + 1] = 0;
        }
        ibit += 7;
        if (ibit >= 8) {
            ibit -= 8;
            ib++;
        }
    }
    return JET_errSuccess;
}

JET_ERR EsepyEseDecompress(const void *pvIn, uint32_t cbIn, void *pvOut, uint32_t cbMax, uint32_t *pcbActual)
{
    if (pvIn == NULL || pcbActual == NULL || (pvOut == NULL && cbMax > 0))
        return JET_errInvalidParameter;
    uint32_t cbNeed, scheme;
    JET_ERR err = esefmt_decompressed_size(pvIn, cbIn, &cbNeed, &scheme);
    if (err < 0)
        return err;
    *pcbActual = cbNeed;
    if (cbMax < cbNeed)
        return JET_wrnBufferTruncated;
    return esefmt_decompress(pvIn, cbIn, pvOut, cbNeed);
}
