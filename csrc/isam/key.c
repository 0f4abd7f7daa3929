/*
 * key.c -- key normalization: column values become byte strings whose memcmp
 * order (shorter-is-smaller) is the index order.
 *
 * Normalized segment format (one per key column, concatenated in key order):
 *
 *   NULL value        1 byte   0x00 (nulls sort low) or 0xFF (KEY_SEG_SORTNULLSHIGH)
 *   non-NULL value    1 byte   0x7F, then the body:
 *
 *   type                    body
 *   ----------------------  -------------------------------------------------
 *   Bit                     1 byte: 0x00 (zero) or 0x01 (any non-zero byte)
 *   UnsignedByte            1 byte as is
 *   Short / Long / LongLong 2 / 4 / 8 bytes big-endian, sign bit inverted
 *   Currency                as LongLong (int64)
 *   UnsignedShort / -Long / 2 / 4 / 8 bytes big-endian
 *     -LongLong
 *   IEEESingle              4 bytes big-endian of the bits b, transformed:
 *                           -0 -> +0; NaN (any) -> 0xFFFFFFFF (after +inf);
 *                           sign set -> ~b; else b | 0x80000000
 *   IEEEDouble / DateTime   8 bytes, same transform on the 64-bit pattern
 *   GUID                    the 16 bytes as stored
 *   Text, LongText          cp 1200: UTF-16LE input, each code unit (after
 *                           simple case folding unless KEY_SEG_CASESENSITIVE)
 *                           as 2 bytes big-endian; unit 0x0000 -> 00 01 01,
 *                           unit 0x0001 -> 00 01 02; terminator 00 00.
 *                           An odd trailing input byte is ignored.
 *                           With KEY_SEG_TEXT8 (indexes of files with
 *                           DB_INCOMPAT_INDEX_COMPACT): each folded code unit u
 *                           as its UTF-8 form (1-3 bytes, u taken as a
 *                           number: a lone surrogate is encoded like any
 *                           other unit), unit 0x0000 -> 01 01, unit 0x0001 ->
 *                           01 02; terminator 00.  UTF-8 of 16-bit numbers
 *                           is order preserving and prefix free, so keys
 *                           compare exactly as the 2-byte form compares;
 *                           ASCII text takes one byte a unit instead of two.
 *                           other code pages (1252, 0): each byte (ASCII A-Z
 *                           folded to a-z unless KEY_SEG_CASESENSITIVE);
 *                           0x00 -> 01 01, 0x01 -> 01 02; terminator 00.
 *   Binary, LongBinary      each byte; 0x00 -> 01 01, 0x01 -> 01 02;
 *                           terminator 00.  (Not ESE's chunks of 8 bytes plus
 *                           a count byte: there the zero padding of a short
 *                           value is indistinguishable from real zero bytes
 *                           in a prefix, so partial-column limits would match
 *                           values shorter than the prefix.)
 *
 *   KEY_SEG_DESCENDING: every byte of the segment, header included, XOR 0xFF.
 *
 * Every body is self-delimiting and no encoding of a value is a proper prefix
 * of the encoding of another value of the same column, so concatenated
 * segments compare segment by segment, and inverting a segment reverses its
 * order without disturbing the segments after it.  LongText / LongBinary
 * callers pass the first bytes of the value (the key holds at most cbKeyMax
 * bytes anyway).
 *
 * Prefix form (key_append_segment_prefix, for JetMakeKey's partial-column
 * limits): Text and Binary as above without the terminator; every other
 * type (and NULL) as key_append_segment.  The encoding
 * of every value that starts with the prefix (after folding) starts with the
 * prefix form.
 *
 * Limits (key_append_limit): 0xFF bytes up to cbKeyMax.  Since no stored key
 * is longer than cbKeyMax, the result sorts after (or, in the degenerate case
 * of a stored key made entirely of those 0xFF bytes, equal to) every key that
 * starts with the bytes before it, and before every key with a larger prefix.
 * How JetMakeKey grbits map (last = the segment of this JetMakeKey call):
 *   FullColumnStartLimit       the key as made (no limit bytes needed)
 *   FullColumnEndLimit/StrLimit  last via key_append_segment, then
 *                              key_append_limit(fFullColumn = 1)
 *   PartialColumnStartLimit    last via key_append_segment_prefix
 *   PartialColumnEndLimit/SubStrLimit  last via key_append_segment_prefix,
 *                              then key_append_limit(fFullColumn = 0)
 * (fFullColumn does not change the bytes: what differs is how the last
 * segment was appended.)  A caller that wants a limit even when the key is
 * already full passes cbKeyMax = index key maximum + 1 for the limit call.
 */
#include <string.h>

#include "record.h"

#define KEY_HDR_NULL_LOW  0x00
#define KEY_HDR_NULL_HIGH 0xFF
#define KEY_HDR_VALUE     0x7F

typedef struct key_w {
    uint8_t *key;
    uint32_t ib;
    uint32_t cbMax;
    int      fTruncated;
} key_w;

static void kput(key_w *w, uint8_t b)
{
    if (w->ib < w->cbMax)
        w->key[w->ib++] = b;
    else
        w->fTruncated = 1;
}

static void kput_be(key_w *w, uint64_t v, int cb)
{
    for (int i = cb - 1; i >= 0; i--)
        kput(w, (uint8_t)(v >> (8 * i)));
}

static uint64_t rd_le(const uint8_t *p, int cb)
{
    uint64_t v = 0;
    for (int i = cb - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- simple case folding (Unicode CaseFolding.txt, status C and S) ------- */

/* Fold one UTF-16 code unit.  Covers ASCII, Latin-1, Latin Extended-A, the
 * regular parts of Latin Extended-B, Greek and Coptic, Cyrillic (+ Supplement),
 * Armenian, Georgian, Latin Extended Additional, letterlike symbols, Roman
 * numerals, circled letters, Glagolitic and fullwidth Latin. */
static uint16_t key_fold_utf16(uint16_t u)
{
    if (u < 0x80)
        return (u >= 'A' && u <= 'Z') ? (uint16_t)(u + 0x20) : u;
    if (u < 0x100) {
        if (u >= 0xC0 && u <= 0xDE && u != 0xD7)
            return (uint16_t)(u + 0x20);
        if (u == 0xB5)
            return 0x3BC;
        return u;
    }
    if (u < 0x180) { /* Latin Extended-A */
        if (u == 0x178)
            return 0xFF;
        if (u == 0x17F)
            return 's';
        if ((u <= 0x12F) || (u >= 0x132 && u <= 0x137) || (u >= 0x14A && u <= 0x177))
            return (uint16_t)(u | 1);
        if ((u >= 0x139 && u <= 0x148) || (u >= 0x179 && u <= 0x17E))
            return (u & 1) ? (uint16_t)(u + 1) : u;
        return u; /* 0x130, 0x131, 0x138, 0x149: no simple folding */
    }
    if (u < 0x250) { /* Latin Extended-B: the regular runs */
        switch (u) {
        case 0x1C4: case 0x1C5: return 0x1C6;
        case 0x1C7: case 0x1C8: return 0x1C9;
        case 0x1CA: case 0x1CB: return 0x1CC;
        case 0x1F1: case 0x1F2: return 0x1F3;
        case 0x1F4: return 0x1F5;
        default: break;
        }
        if (u >= 0x1CD && u <= 0x1DC)
            return (u & 1) ? (uint16_t)(u + 1) : u;
        if ((u >= 0x1DE && u <= 0x1EF) || (u >= 0x1F8 && u <= 0x21F) || (u >= 0x222 && u <= 0x233) ||
            (u >= 0x246 && u <= 0x24F))
            return (uint16_t)(u | 1);
        return u;
    }
    if (u == 0x345)
        return 0x3B9;
    if (u >= 0x370 && u < 0x400) { /* Greek and Coptic */
        if (u == 0x370 || u == 0x372 || u == 0x376)
            return (uint16_t)(u + 1);
        if (u >= 0x391 && u <= 0x3AB && u != 0x3A2)
            return (uint16_t)(u + 0x20);
        if (u >= 0x3D8 && u <= 0x3EF)
            return (uint16_t)(u | 1);
        switch (u) {
        case 0x37F: return 0x3F3;
        case 0x386: return 0x3AC;
        case 0x388: return 0x3AD;
        case 0x389: return 0x3AE;
        case 0x38A: return 0x3AF;
        case 0x38C: return 0x3CC;
        case 0x38E: return 0x3CD;
        case 0x38F: return 0x3CE;
        case 0x3C2: return 0x3C3;
        case 0x3CF: return 0x3D7;
        case 0x3D0: return 0x3B2;
        case 0x3D1: return 0x3B8;
        case 0x3D5: return 0x3C6;
        case 0x3D6: return 0x3C0;
        case 0x3F0: return 0x3BA;
        case 0x3F1: return 0x3C1;
        case 0x3F4: return 0x3B8;
        case 0x3F5: return 0x3B5;
        case 0x3F7: return 0x3F8;
        case 0x3F9: return 0x3F2;
        case 0x3FA: return 0x3FB;
        case 0x3FD: return 0x37B;
        case 0x3FE: return 0x37C;
        case 0x3FF: return 0x37D;
        default: return u;
        }
    }
    if (u >= 0x400 && u < 0x530) { /* Cyrillic, Cyrillic Supplement */
        if (u <= 0x40F)
            return (uint16_t)(u + 0x50);
        if (u <= 0x42F)
            return (uint16_t)(u + 0x20);
        if ((u >= 0x460 && u <= 0x481) || (u >= 0x48A && u <= 0x4BF) || (u >= 0x4D0 && u <= 0x52F))
            return (uint16_t)(u | 1);
        if (u == 0x4C0)
            return 0x4CF;
        if (u >= 0x4C1 && u <= 0x4CE)
            return (u & 1) ? (uint16_t)(u + 1) : u;
        return u;
    }
    if (u >= 0x531 && u <= 0x556) /* Armenian */
        return (uint16_t)(u + 0x30);
    if ((u >= 0x10A0 && u <= 0x10C5) || u == 0x10C7 || u == 0x10CD) /* Georgian */
        return (uint16_t)(u - 0x10A0 + 0x2D00);
    if (u >= 0x1E00 && u <= 0x1EFF) { /* Latin Extended Additional */
        if (u <= 0x1E95 || u >= 0x1EA0)
            return (uint16_t)(u | 1);
        if (u == 0x1E9B)
            return 0x1E61;
        if (u == 0x1E9E)
            return 0xDF;
        return u;
    }
    switch (u) {
    case 0x2126: return 0x3C9;
    case 0x212A: return 'k';
    case 0x212B: return 0xE5;
    case 0x2132: return 0x214E;
    case 0x2183: return 0x2184;
    default: break;
    }
    if (u >= 0x2160 && u <= 0x216F) /* Roman numerals */
        return (uint16_t)(u + 0x10);
    if (u >= 0x24B6 && u <= 0x24CF) /* circled Latin capitals */
        return (uint16_t)(u + 26);
    if (u >= 0x2C00 && u <= 0x2C2F) /* Glagolitic */
        return (uint16_t)(u + 0x30);
    if (u >= 0xFF21 && u <= 0xFF3A) /* fullwidth Latin capitals */
        return (uint16_t)(u + 0x20);
    return u;
}

/* ---- bodies --------------------------------------------------------------- */

/* Bytes (Text in single-byte code pages, Binary): escape 0x00 / 0x01, end with 0x00. */
static void body_text_bytes(key_w *w, const uint8_t *p, uint32_t cb, int fFold, int fPrefix)
{
    for (uint32_t i = 0; i < cb && !w->fTruncated; i++) {
        uint8_t c = p[i];
        if (fFold && c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + 0x20);
        if (c <= 1) {
            kput(w, 0x01);
            kput(w, (uint8_t)(c + 1));
        } else {
            kput(w, c);
        }
    }
    if (!fPrefix)
        kput(w, 0x00);
}

static void body_text_utf16(key_w *w, const uint8_t *p, uint32_t cb, int fFold, int fPrefix)
{
    for (uint32_t i = 0; i + 1 < cb && !w->fTruncated; i += 2) {
        uint16_t u = (uint16_t)(p[i] | (p[i + 1] << 8));
        if (fFold)
            u = key_fold_utf16(u);
        if (u <= 1) {
            kput(w, 0x00);
            kput(w, 0x01);
            kput(w, (uint8_t)(u + 1));
        } else {
            kput(w, (uint8_t)(u >> 8));
            kput(w, (uint8_t)u);
        }
    }
    if (!fPrefix) {
        kput(w, 0x00);
        kput(w, 0x00);
    }
}

/* KEY_SEG_TEXT8: UTF-16LE units as UTF-8 forms of their numbers (order kept:
 * lead bytes 02-7F < C2-DF < E0-EF rise with the unit; 00 ends; 01 escapes). */
static void body_text_utf16_8(key_w *w, const uint8_t *p, uint32_t cb, int fFold, int fPrefix)
{
    uint32_t i = 0;
    /* The common case: ASCII units that fit, written without per-byte checks. */
    if (cb >= 2 && w->cbMax - w->ib >= cb / 2) {
        uint8_t *out = w->key + w->ib;
        for (; i + 1 < cb; i += 2) {
            uint8_t lo = p[i];
            if (p[i + 1] != 0 || lo < 2 || lo >= 0x80)
                break;
            if (fFold && lo >= 'A' && lo <= 'Z')
                lo = (uint8_t)(lo + 0x20);
            *out++ = lo;
        }
        w->ib = (uint32_t)(out - w->key);
    }
    for (; i + 1 < cb && !w->fTruncated; i += 2) {
        uint16_t u = (uint16_t)(p[i] | (p[i + 1] << 8));
        if (fFold)
            u = key_fold_utf16(u);
        if (u <= 1) {
            kput(w, 0x01);
            kput(w, (uint8_t)(u + 1));
        } else if (u < 0x80) {
            kput(w, (uint8_t)u);
        } else if (u < 0x800) {
            kput(w, (uint8_t)(0xC0 | (u >> 6)));
            kput(w, (uint8_t)(0x80 | (u & 0x3F)));
        } else {
            kput(w, (uint8_t)(0xE0 | (u >> 12)));
            kput(w, (uint8_t)(0x80 | ((u >> 6) & 0x3F)));
            kput(w, (uint8_t)(0x80 | (u & 0x3F)));
        }
    }
    if (!fPrefix)
        kput(w, 0x00);
}

static uint32_t key_type_size(JET_COLTYP coltyp)
{
    rec_column c;
    memset(&c, 0, sizeof(c));
    c.coltyp = coltyp;
    return coltyp == JET_coltypText || coltyp == JET_coltypBinary ? 0 : rec_fixed_size(&c);
}

static JET_ERR key_append(uint8_t *key, uint32_t *pcbKey, uint32_t cbKeyMax, const rec_column *pcol,
                          const void *pv, uint32_t cb, uint32_t segflags, int *pfTruncated, int fPrefix)
{
    if (pcbKey == NULL || pcol == NULL || *pcbKey > cbKeyMax || (key == NULL && cbKeyMax > 0))
        return JET_errInvalidParameter;
    JET_COLTYP t = pcol->coltyp;
    int fVarType = t == JET_coltypText || t == JET_coltypBinary || t == JET_coltypLongText ||
                   t == JET_coltypLongBinary;
    uint32_t cbType = key_type_size(t);
    if (!fVarType && cbType == 0)
        return JET_errInvalidColumnType;
    if (pv != NULL && !fVarType && cb != cbType)
        return JET_errInvalidBufferSize;

    key_w w = { key, *pcbKey, cbKeyMax, 0 };
    uint32_t ibStart = w.ib;
    const uint8_t *p = pv;
    if (p == NULL) {
        kput(&w, (segflags & KEY_SEG_SORTNULLSHIGH) ? KEY_HDR_NULL_HIGH : KEY_HDR_NULL_LOW);
    } else {
        kput(&w, KEY_HDR_VALUE);
        int fFold = !(segflags & KEY_SEG_CASESENSITIVE);
        switch (t) {
        case JET_coltypBit:
            kput(&w, p[0] ? 1 : 0);
            break;
        case JET_coltypUnsignedByte:
        case JET_coltypUnsignedShort:
        case JET_coltypUnsignedLong:
        case JET_coltypUnsignedLongLong:
            kput_be(&w, rd_le(p, (int)cb), (int)cb);
            break;
        case JET_coltypShort:
        case JET_coltypLong:
        case JET_coltypLongLong:
        case JET_coltypCurrency:
            kput_be(&w, rd_le(p, (int)cb) ^ (1ull << (8 * cb - 1)), (int)cb);
            break;
        case JET_coltypIEEESingle:
        case JET_coltypIEEEDouble:
        case JET_coltypDateTime: {
            uint64_t bits = rd_le(p, (int)cb);
            uint64_t sign = 1ull << (8 * cb - 1);
            uint64_t all = cb == 8 ? ~0ull : 0xFFFFFFFFull;
            uint64_t expAll = cb == 8 ? 0x7FF0000000000000ull : 0x7F800000ull;
            uint64_t mag = bits & ~sign;
            if (mag > expAll)
                bits = all;            /* NaN: after +infinity */
            else if (mag == 0)
                bits = sign;           /* -0 == +0 */
            else if (bits & sign)
                bits = ~bits & all;
            else
                bits |= sign;
            kput_be(&w, bits, (int)cb);
            break;
        }
        case JET_coltypGUID:
            for (uint32_t i = 0; i < cb; i++)
                kput(&w, p[i]);
            break;
        case JET_coltypText:
        case JET_coltypLongText:
            if (pcol->cp == 1200 && (segflags & KEY_SEG_TEXT8))
                body_text_utf16_8(&w, p, cb, fFold, fPrefix);
            else if (pcol->cp == 1200)
                body_text_utf16(&w, p, cb, fFold, fPrefix);
            else
                body_text_bytes(&w, p, cb, fFold, fPrefix);
            break;
        default: /* Binary, LongBinary */
            body_text_bytes(&w, p, cb, 0, fPrefix);
            break;
        }
    }
    if (segflags & KEY_SEG_DESCENDING) {
        for (uint32_t i = ibStart; i < w.ib; i++)
            key[i] = (uint8_t)~key[i];
    }
    *pcbKey = w.ib;
    if (w.fTruncated && pfTruncated)
        *pfTruncated = 1;
    return JET_errSuccess;
}

JET_ERR key_append_segment(uint8_t *key, uint32_t *pcbKey, uint32_t cbKeyMax, const rec_column *pcol,
                           const void *pv, uint32_t cb, uint32_t segflags, int *pfTruncated)
{
    return key_append(key, pcbKey, cbKeyMax, pcol, pv, cb, segflags, pfTruncated, 0);
}

JET_ERR key_append_segment_prefix(uint8_t *key, uint32_t *pcbKey, uint32_t cbKeyMax, const rec_column *pcol,
                                  const void *pv, uint32_t cb, uint32_t segflags, int *pfTruncated)
{
    return key_append(key, pcbKey, cbKeyMax, pcol, pv, cb, segflags, pfTruncated, 1);
}

JET_ERR key_append_limit(uint8_t *key, uint32_t *pcbKey, uint32_t cbKeyMax, int fFullColumn)
{
    (void)fFullColumn; /* see the header comment: the difference is in how the last segment was made */
    if (pcbKey == NULL || *pcbKey > cbKeyMax || (key == NULL && cbKeyMax > 0))
        return JET_errInvalidParameter;
    if (cbKeyMax > *pcbKey)
        memset(key + *pcbKey, 0xFF, cbKeyMax - *pcbKey);
    *pcbKey = cbKeyMax;
    return JET_errSuccess;
}

/* ---- decoding (JET_bitRetrieveFromIndex / FromPrimaryBookmark) ------------- */

typedef struct key_r {
    const uint8_t *key;
    uint32_t       ib, cb;
    uint8_t        x;      /* 0xFF in a descending segment */
} key_r;

static int kget(key_r *r, uint8_t *pb)
{
    if (r->ib >= r->cb)
        return 0;
    *pb = (uint8_t)(r->key[r->ib++] ^ r->x);
    return 1;
}

static int kget_be(key_r *r, uint32_t cb, uint64_t *pv)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < cb; i++) {
        uint8_t b;
        if (!kget(r, &b))
            return 0;
        v = (v << 8) | b;
    }
    *pv = v;
    return 1;
}

static void wr_le(uint8_t *p, uint64_t v, uint32_t cb)
{
    for (uint32_t i = 0; i < cb; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int key_decode_segment(const uint8_t *key, uint32_t cbKey, uint32_t *pib, const rec_column *pcol, uint32_t segflags,
                       uint8_t *pvOut, uint32_t *pcbOut)
{
    key_r r = { key, *pib, cbKey, (segflags & KEY_SEG_DESCENDING) ? 0xFF : 0x00 };
    uint8_t h;
    *pcbOut = 0;
    if (!kget(&r, &h))
        return KEY_DEC_TRUNCATED;
    if (h != KEY_HDR_VALUE) {
        *pib = r.ib;
        return KEY_DEC_NULL;
    }
    JET_COLTYP t = pcol->coltyp;
    int lossy = 0;
    uint32_t n = 0;
    switch (t) {
    case JET_coltypText:
    case JET_coltypLongText:
    case JET_coltypBinary:
    case JET_coltypLongBinary:
        /* Text is folded (or, in UTF-16, may have lost an odd byte): never
         * given back from a key, only skipped. */
        lossy = t == JET_coltypText || t == JET_coltypLongText;
        if ((t == JET_coltypText || t == JET_coltypLongText) && pcol->cp == 1200 &&
            !(segflags & KEY_SEG_TEXT8)) {
            for (;;) {
                uint8_t a, b, c;
                if (!kget(&r, &a) || !kget(&r, &b))
                    return KEY_DEC_TRUNCATED;
                if (a == 0 && b == 0)
                    break;
                if (a == 0 && b == 1 && !kget(&r, &c))
                    return KEY_DEC_TRUNCATED;
            }
        } else {
            for (;;) {
                uint8_t b;
                if (!kget(&r, &b))
                    return KEY_DEC_TRUNCATED;
                if (b == 0)
                    break;
                if (b == 1) {
                    if (!kget(&r, &b))
                        return KEY_DEC_TRUNCATED;
                    b = (uint8_t)(b - 1);
                }
                pvOut[n++] = b; /* n <= bytes read <= cbKey */
            }
        }
        break;
    default: {
        uint32_t cb = key_type_size(t);
        uint64_t v;
        if (cb == 0)
            return KEY_DEC_LOSSY;
        if (t == JET_coltypGUID) {
            for (uint32_t i = 0; i < cb; i++)
                if (!kget(&r, &pvOut[i]))
                    return KEY_DEC_TRUNCATED;
            n = cb;
            break;
        }
        if (t == JET_coltypBit)
            cb = 1;
        if (!kget_be(&r, cb, &v))
            return KEY_DEC_TRUNCATED;
        uint64_t sign = 1ull << (8 * cb - 1);
        uint64_t all = cb == 8 ? ~0ull : ((1ull << (8 * cb)) - 1);
        switch (t) {
        case JET_coltypBit:
            lossy = v != 0; /* every non-zero byte became 1 */
            break;
        case JET_coltypShort:
        case JET_coltypLong:
        case JET_coltypLongLong:
        case JET_coltypCurrency:
            v ^= sign;
            break;
        case JET_coltypIEEESingle:
        case JET_coltypIEEEDouble:
        case JET_coltypDateTime:
            if (v == all || v == sign)
                lossy = 1; /* NaN (any payload) or a zero of either sign */
            else if (v & sign)
                v &= ~sign;
            else
                v = ~v & all;
            break;
        default:
            break;
        }
        wr_le(pvOut, v, cb);
        n = cb;
        break;
    }
    }
    *pib = r.ib;
    *pcbOut = n;
    return lossy ? KEY_DEC_LOSSY : KEY_DEC_VALUE;
}
