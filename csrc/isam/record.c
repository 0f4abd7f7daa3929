/*
 * record.c -- the record format: how the column values of one row are laid
 * out in the bytes stored as a btree node's data.
 *
 * Record format, version 1 (all integers little-endian, no alignment):
 *
 *   offset               size        field
 *   -------------------  ----------  -----------------------------------------
 *   0                    1           bFormat = 0x01 (REC_FORMAT)
 *   1                    1           F = highest fixed column id present (0..127)
 *   2                    1           V = number of variable-column entries (0..128):
 *                                    variable ids 128 .. 127+V have an entry
 *   3                    1           reserved, 0
 *   4                    F           fixed-column size array: byte i-1 is the
 *                                    size of fixed column i; 0 = NULL (every
 *                                    fixed type is >= 1 byte, so 0 is the null
 *                                    bitmap); entry F-1 is never 0
 *   4+F                  sum(sizes)  fixed data, column 1..F in id order, NULL
 *                                    columns take no space
 *   ibVarOffs            2*V         variable end offsets, u16 each, relative to
 *                                    the start of the variable data; bit 15 set
 *                                    = NULL (then the length is 0); value k runs
 *                                    from end[k-1] (0 for k = 0) to end[k] & 0x7FFF;
 *                                    each value <= 255 bytes; entry V-1 is
 *                                    never NULL (a non-NULL value may be empty)
 *   ibVarData            end[V-1]    variable data
 *   ibTagged             rest        tagged area, absent (0 bytes) when no tagged
 *                                    column has a value, otherwise:
 *     +0                 2           C = number of tagged columns present (>= 1;
 *                                    C = 0 marks the overflow form: the tagged
 *                                    area lives elsewhere, R-OVF at the end)
 *     +2                 8*C         directory, strictly ascending columnid:
 *                                      u16 columnid (256..65535)
 *                                      u16 cValues  (>= 1)
 *                                      u32 ibEnd: end of this column's block,
 *                                          relative to the tagged data start;
 *                                          a block runs from the previous
 *                                          entry's ibEnd (0 for the first)
 *     +2+8*C             rest        tagged data: one block per directory entry;
 *                                    the last ibEnd equals the data size.
 *                                    A block is cValues value headers
 *                                      u8  flags (REC_TAG_*)
 *                                      u32 cb
 *                                    followed by the values' bytes
 *                                    concatenated in itag order (itag 1 first).
 *
 * Record format, version 2 (compact header; every record of a file whose
 * header carries DB_INCOMPAT_RECORD_HDR2 that the isam layer creates; a
 * record keeps its format when updated, so files of format version 1 only
 * ever hold version-1 records).  Same fields as version 1 but for the
 * header and the variable-column part:
 *
 *   offset               size        field
 *   -------------------  ----------  -----------------------------------------
 *   0                    1           b0: bits 0-1 = 2 (version 1 records start
 *                                    with 0x01: bits 0-1 = 1, so b0 tells the
 *                                    two formats apart);
 *                                    bit 2 N = a variable NULL bitmap follows
 *                                    the variable lengths;
 *                                    bit 3 W = wide counts: F and V in bytes 1
 *                                    and 2 (bits 4-7 then 0); W is set iff
 *                                    F > 3 or V > 3;
 *                                    bits 4-5 = F, bits 6-7 = V when W is clear
 *   1                    2 (W only)  u8 F (0..127), u8 V (0..128)
 *   ibFixedSizes         F           fixed-column sizes, as version 1
 *                        sum(sizes)  fixed data, as version 1
 *   ibVarOffs            V           variable lengths, u8 each (0..255)
 *   ibVarNulls           ceil(V/8)   present iff N: bit j%8 of byte j/8 set =
 *                                    variable entry j is NULL (its length is
 *                                    0); bit V-1 and bits >= V are clear; N
 *                                    is set iff some bit is
 *   ibVarData            sum(lens)   variable data
 *   ibTagged             rest        tagged area, as version 1
 *
 * So the benchmark's row (two variable columns, 16 + 100 bytes) carries 3
 * bytes of header and lengths in version 2 against 8 in version 1.  Every
 * reader accepts both versions; rec_init makes a version-1 record and
 * rec_init_format picks one.
 *
 * Why a size byte per fixed column instead of ESE's null bitmap with sizes
 * from the schema: every function here is told the schema of one column only,
 * so the offset of fixed column k must be derivable from the record itself.
 * A record with only column 1 (a Long) set is 4 + 1 + 4 = 9 bytes; an empty
 * record is the 4-byte header (a 0-byte buffer is accepted as empty too).
 *
 * The encoding is canonical: trailing NULL fixed/variable entries and empty
 * tagged columns are never stored, so a record's bytes depend only on its
 * values (setting a column and setting it back gives identical bytes).
 *
 * Validation.  Every read parses the whole structure first (rec_parse) and
 * checks every count, size and offset against the buffer with 64-bit
 * arithmetic; anything inconsistent is JET_errDatabaseCorrupted (rec_count,
 * which cannot return an error, returns 0).  R-VALID: a caller that checked
 * a record whole once (rec_check) and changes it only through rec_set* may
 * use rec_get_valid / rec_count_valid / rec_set_valid, which skip the walk
 * over every tagged column and value (the isam layer's copy buffer, built
 * column by column: otherwise each set would cost O(C) and a record of C
 * tagged columns O(C^2)).  R-VIEW: a reader of many columns of one record
 * parses it once (rec_layout_parse, the whole check) and reads each column
 * from the layout (rec_layout_get); the layout is only good while the
 * record's bytes stay as they were (record.h).  A fixed column whose stored size
 * differs from the schema's size is corruption too.  Values are never read
 * outside pbRec .. pbRec+cbRec.
 *
 * Column classes come from the column id (1..127 fixed, 128..255 variable,
 * 256..65535 tagged; others JET_errBadColumnId).  Text/Binary columns in the
 * fixed range count as fixed (cbMax bytes) even without JET_bitColumnFixed.
 * itag: 0 reads/sets value 1 of fixed and variable columns; itag > 1 reads
 * NULL and sets JET_errBadItagSequence for them.  Tagged values with
 * REC_TAG_SEPARATED skip the length checks (they are references).
 *
 * Updates (rec_set) build the new record in a fresh buffer (sizes computed
 * first) and then free the old one, so a value that points into the record
 * itself is safe to pass, and on any error the record is unchanged.
 * JET_errRecordTooBig is returned only when the new record is larger than
 * cbRecMax and larger than the current record (removing or shrinking values
 * of an oversized record is always allowed).
 */
#include <string.h>

#include "le.h"
#include "record.h"
#include "os.h"

#define REC_FORMAT          0x01
#define REC_HDR_SIZE        4
#define REC2_TAG            0x02u  /* b0 & REC2_TAGMASK of a version-2 record */
#define REC2_TAGMASK        0x03u
#define REC2_N              0x04u  /* variable NULL bitmap present */
#define REC2_W              0x08u  /* wide counts in bytes 1, 2 */
#define REC2_NARROW_MAX     3u     /* largest F and V held in b0 */
#define REC_VAR_NULL        0x8000u
#define REC_VAR_OFFMASK     0x7FFFu
#define REC_VAR_CBMAX       255u
#define REC_TAG_DIRENT      8
#define REC_TAG_VALHDR      5
#define REC_TAG_FLAGS_KNOWN REC_TAG_SEPARATED
#define REC_FID_FIXED_MAX   127u
#define REC_FID_VAR_FIRST   128u
#define REC_FID_VAR_MAX     255u
#define REC_FID_TAG_FIRST   256u
#define REC_FID_TAG_MAX     65535u
#define REC_CVAR_MAX        (REC_FID_VAR_MAX - REC_FID_VAR_FIRST + 1)
#define REC_TAG_VALUES_MAX  65535u

/* A writer that only counts when pb is NULL (first pass computes the size). */
typedef struct rec_w {
    uint8_t *pb;
    uint64_t ib;
} rec_w;

static void w_bytes(rec_w *w, const void *pv, uint64_t cb)
{
    if (w->pb && cb)
        memcpy(w->pb + w->ib, pv, (size_t)cb);
    w->ib += cb;
}
static void w_u8(rec_w *w, uint32_t v)
{
    if (w->pb)
        w->pb[w->ib] = (uint8_t)v;
    w->ib += 1;
}
static void w_u16(rec_w *w, uint32_t v)
{
    if (w->pb) {
        w->pb[w->ib] = (uint8_t)v;
        w->pb[w->ib + 1] = (uint8_t)(v >> 8);
    }
    w->ib += 2;
}
static void w_u32(rec_w *w, uint32_t v)
{
    if (w->pb) {
        for (int i = 0; i < 4; i++)
            w->pb[w->ib + i] = (uint8_t)(v >> (8 * i));
    }
    w->ib += 4;
}

/* ---- parsing ------------------------------------------------------------- */

/* rec_layout: record.h (R-VIEW) */

#define CORRUPT JET_errDatabaseCorrupted

static JET_ERR parse_overflow(const uint8_t *pb, uint32_t cb, uint64_t ib, rec_layout *pl);

/* Fill *pl.  fFull: validate the whole record (never reads outside
 * pb..pb+cb).  Otherwise (R-VALID: a record checked whole before and changed
 * only by rec_set since) the header, fixed and variable parts are checked as
 * always, the tagged directory only for its bounds and its last entry's end:
 * the walk over every tagged column and value is skipped, so reading or
 * setting one column costs O(log C) in the tagged area, not O(C). */
static JET_ERR rec_parse_ex(const uint8_t *pb, uint32_t cb, rec_layout *pl, int fFull)
{
    memset(pl, 0, sizeof(*pl));
    pl->pb = pb;
    pl->cb = cb;
    if (cb == 0) {
        pl->fEmpty = 1;
        return JET_errSuccess;
    }
    if (pb == NULL)
        return CORRUPT;
    pl->fmt = REC_FORMAT_V1;
    uint32_t F, V, fNulls = 0;
    uint64_t ib;
    if ((pb[0] & REC2_TAGMASK) == REC2_TAG) {
        pl->fmt = REC_FORMAT_V2;
        fNulls = (pb[0] & REC2_N) != 0;
        if (pb[0] & REC2_W) {
            if (cb < 3 || (pb[0] & 0xF0u) != 0)
                return CORRUPT;
            F = pb[1];
            V = pb[2];
            if (F <= REC2_NARROW_MAX && V <= REC2_NARROW_MAX)
                return CORRUPT;  /* not canonical */
            ib = 3;
        } else {
            F = (pb[0] >> 4) & 3u;
            V = (pb[0] >> 6) & 3u;
            ib = 1;
        }
        if (fNulls && V == 0)
            return CORRUPT;
    } else {
        if (cb < REC_HDR_SIZE || pb[0] != REC_FORMAT || pb[3] != 0)
            return CORRUPT;
        F = pb[1];
        V = pb[2];
        ib = REC_HDR_SIZE;
    }
    if (F > REC_FID_FIXED_MAX || V > REC_CVAR_MAX)
        return CORRUPT;

    /* fixed sizes and data */
    if (ib + F > cb)
        return CORRUPT;
    pl->ibFixedSizes = (uint32_t)ib;
    uint64_t cbFixed = 0;
    for (uint32_t i = 0; i < F; i++)
        cbFixed += pb[ib + i];
    if (F > 0 && pb[ib + F - 1] == 0)
        return CORRUPT;
    ib += F;
    pl->ibFixedData = (uint32_t)ib;
    if (ib + cbFixed > cb)
        return CORRUPT;
    ib += cbFixed;

    /* variable offsets and data */
    pl->ibVarOffs = (uint32_t)ib;
    uint32_t prev = 0;
    if (pl->fmt == REC_FORMAT_V2) {
        /* lengths, then the NULL bitmap when N */
        uint32_t cbNulls = fNulls ? (V + 7) / 8 : 0;
        if (ib + (uint64_t)V + cbNulls > cb)
            return CORRUPT;
        for (uint32_t j = 0; j < V; j++)
            prev += pb[ib + j];
        ib += V;
        if (fNulls) {
            pl->ibVarNulls = (uint32_t)ib;
            uint32_t any = 0;
            for (uint32_t j = 0; j < cbNulls * 8; j++) {
                uint32_t bit = (pb[ib + j / 8] >> (j % 8)) & 1u;
                if (bit && (j >= V - 1 || pb[pl->ibVarOffs + j] != 0))
                    return CORRUPT;  /* past the last entry, the last entry, or NULL with a length */
                any |= bit;
            }
            if (!any)
                return CORRUPT;  /* N without a NULL entry: not canonical */
            ib += cbNulls;
        }
        goto var_data;
    }
    if (ib + 2ull * V > cb)
        return CORRUPT;
    for (uint32_t j = 0; j < V; j++) {
        uint32_t e = le_get16(pb + ib + 2 * j), off = e & REC_VAR_OFFMASK;
        if (off < prev || off - prev > REC_VAR_CBMAX)
            return CORRUPT;
        if ((e & REC_VAR_NULL) && off != prev)
            return CORRUPT;
        if (j == V - 1 && (e & REC_VAR_NULL))
            return CORRUPT;
        prev = off;
    }
    ib += 2ull * V;
var_data:
    pl->ibVarData = (uint32_t)ib;
    if (ib + prev > cb)
        return CORRUPT;
    pl->cbVarData = prev;
    ib += prev;

    /* tagged area */
    pl->ibTagged = (uint32_t)ib;
    pl->cFixed = F;
    pl->cVar = V;
    if (ib == cb)
        return JET_errSuccess;
    if (ib + 2 > cb)
        return CORRUPT;
    uint32_t C = le_get16(pb + ib);
    if (C == 0)
        return parse_overflow(pb, cb, ib, pl); /* R-OVF */
    ib += 2;
    if (ib + (uint64_t)REC_TAG_DIRENT * C > cb)
        return CORRUPT;
    pl->ibTagDir = (uint32_t)ib;
    ib += (uint64_t)REC_TAG_DIRENT * C;
    pl->ibTagData = (uint32_t)ib;
    pl->cbTagData = (uint32_t)(cb - ib);
    pl->cTag = C;
    if (!fFull) {
        /* R-VALID: the blocks were checked when the record was */
        if (le_get32(pb + pl->ibTagDir + (uint64_t)REC_TAG_DIRENT * (C - 1) + 4) != pl->cbTagData)
            return CORRUPT;
        return JET_errSuccess;
    }

    uint32_t prevCol = 0;
    uint64_t prevEnd = 0;
    for (uint32_t i = 0; i < C; i++) {
        const uint8_t *pe = pb + pl->ibTagDir + (uint64_t)REC_TAG_DIRENT * i;
        uint32_t col = le_get16(pe), cval = le_get16(pe + 2);
        uint64_t end = le_get32(pe + 4);
        if (col < REC_FID_TAG_FIRST || col <= prevCol || cval == 0)
            return CORRUPT;
        if (end < prevEnd || end > pl->cbTagData)
            return CORRUPT;
        uint64_t cbBlock = end - prevEnd;
        uint64_t cbHdrs = (uint64_t)REC_TAG_VALHDR * cval;
        if (cbHdrs > cbBlock)
            return CORRUPT;
        const uint8_t *pblk = pb + pl->ibTagData + prevEnd;
        uint64_t sum = 0;
        for (uint32_t v = 0; v < cval; v++) {
            const uint8_t *ph = pblk + (uint64_t)REC_TAG_VALHDR * v;
            if (ph[0] & ~REC_TAG_FLAGS_KNOWN)
                return CORRUPT;
            sum += le_get32(ph + 1);
        }
        if (sum != cbBlock - cbHdrs)
            return CORRUPT;
        prevCol = col;
        prevEnd = end;
    }
    if (prevEnd != pl->cbTagData)
        return CORRUPT;
    return JET_errSuccess;
}

static JET_ERR rec_parse(const uint8_t *pb, uint32_t cb, rec_layout *pl)
{
    return rec_parse_ex(pb, cb, pl, 1);
}

JET_ERR rec_check(const uint8_t *pbRec, uint32_t cbRec)
{
    rec_layout l;
    return rec_parse(pbRec, cbRec, &l);
}

/* Tagged directory access (only after a successful rec_parse). */
typedef struct rec_tagcol {
    uint32_t columnid;
    uint32_t cValues;
    uint32_t ibBlock;   /* absolute offset of the block in the record */
    uint32_t cbBlock;
} rec_tagcol;

static void tag_entry(const rec_layout *pl, uint32_t i, rec_tagcol *pt)
{
    const uint8_t *pe = pl->pb + pl->ibTagDir + (size_t)REC_TAG_DIRENT * i;
    uint32_t start = i ? le_get32(pe - REC_TAG_DIRENT + 4) : 0;
    pt->columnid = le_get16(pe);
    pt->cValues = le_get16(pe + 2);
    pt->ibBlock = pl->ibTagData + start;
    pt->cbBlock = le_get32(pe + 4) - start;
}

/* Index of columnid in the directory, or the insertion point (*pfFound = 0). */
static uint32_t tag_find(const rec_layout *pl, uint32_t columnid, int *pfFound)
{
    uint32_t lo = 0, hi = pl->cTag;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t col = le_get16(pl->pb + pl->ibTagDir + (size_t)REC_TAG_DIRENT * mid);
        if (col == columnid) {
            *pfFound = 1;
            return mid;
        }
        if (col < columnid)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pfFound = 0;
    return lo;
}

/* Value itag (1-based, <= cValues) of a tagged column block. */
static void tag_value(const rec_layout *pl, const rec_tagcol *pt, uint32_t itag, const uint8_t **ppv,
                      uint32_t *pcb, uint32_t *pflags)
{
    const uint8_t *pblk = pl->pb + pt->ibBlock;
    size_t ib = (size_t)REC_TAG_VALHDR * pt->cValues;
    for (uint32_t v = 1; v < itag; v++)
        ib += le_get32(pblk + (size_t)REC_TAG_VALHDR * (v - 1) + 1);
    const uint8_t *ph = pblk + (size_t)REC_TAG_VALHDR * (itag - 1);
    *ppv = pblk + ib;
    *pcb = le_get32(ph + 1);
    *pflags = ph[0];
}

/* Offset (absolute) and size of fixed column fid (1 <= fid <= F). */
static void fixed_locate(const rec_layout *pl, uint32_t fid, uint32_t *pib, uint32_t *pcb)
{
    uint32_t ib = pl->ibFixedData;
    for (uint32_t i = 1; i < fid; i++)
        ib += pl->pb[pl->ibFixedSizes + i - 1];
    *pib = ib;
    *pcb = pl->pb[pl->ibFixedSizes + fid - 1];
}

/* Start (absolute), size and null-ness of variable entry j (0-based, j < V). */
static void var_locate(const rec_layout *pl, uint32_t j, uint32_t *pib, uint32_t *pcb, int *pfNull)
{
    if (pl->fmt == REC_FORMAT_V2) {
        const uint8_t *plen = pl->pb + pl->ibVarOffs;
        uint32_t ib = pl->ibVarData;
        for (uint32_t k = 0; k < j; k++)
            ib += plen[k];
        *pib = ib;
        *pcb = plen[j];
        *pfNull = pl->ibVarNulls ? (pl->pb[pl->ibVarNulls + j / 8] >> (j % 8)) & 1 : 0;
        return;
    }
    uint32_t e = le_get16(pl->pb + pl->ibVarOffs + 2 * j);
    uint32_t start = j ? (le_get16(pl->pb + pl->ibVarOffs + 2 * (j - 1)) & REC_VAR_OFFMASK) : 0;
    *pib = pl->ibVarData + start;
    *pcb = (e & REC_VAR_OFFMASK) - start;
    *pfNull = (e & REC_VAR_NULL) != 0;
}

/* ---- schema helpers ------------------------------------------------------ */

enum { COL_FIXED, COL_VAR, COL_TAGGED };

static int col_class(JET_COLUMNID columnid)
{
    if (columnid >= 1 && columnid <= REC_FID_FIXED_MAX)
        return COL_FIXED;
    if (columnid >= REC_FID_VAR_FIRST && columnid <= REC_FID_VAR_MAX)
        return COL_VAR;
    if (columnid >= REC_FID_TAG_FIRST && columnid <= REC_FID_TAG_MAX)
        return COL_TAGGED;
    return -1;
}

/* Size of a value of a fixed-size type, 0 for Text/Binary/Long* and invalid types. */
static uint32_t type_size(JET_COLTYP coltyp)
{
    switch (coltyp) {
    case JET_coltypBit:
    case JET_coltypUnsignedByte:
        return 1;
    case JET_coltypShort:
    case JET_coltypUnsignedShort:
        return 2;
    case JET_coltypLong:
    case JET_coltypUnsignedLong:
    case JET_coltypIEEESingle:
        return 4;
    case JET_coltypCurrency:
    case JET_coltypIEEEDouble:
    case JET_coltypDateTime:
    case JET_coltypLongLong:
    case JET_coltypUnsignedLongLong:
        return 8;
    case JET_coltypGUID:
        return 16;
    default:
        return 0;
    }
}

static int type_valid(JET_COLTYP coltyp)
{
    return coltyp >= JET_coltypBit && coltyp < JET_coltypMax && coltyp != JET_coltypSLV;
}

uint32_t rec_fixed_size(const rec_column *pcol)
{
    if (pcol == NULL)
        return 0;
    uint32_t cb = type_size(pcol->coltyp);
    if (cb)
        return cb;
    if (pcol->coltyp == JET_coltypText || pcol->coltyp == JET_coltypBinary) {
        /* declared fixed, or living in the fixed id range */
        if ((pcol->grbit & JET_bitColumnFixed) || col_class(pcol->columnid) == COL_FIXED) {
            uint32_t cbMax = pcol->cbMax ? pcol->cbMax : JET_cbColumnMost;
            return cbMax <= JET_cbColumnMost ? cbMax : 0;
        }
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

/* One column of a parsed record (R-VIEW): the body of every read. */
static JET_ERR get_parsed(const rec_layout *pl, const rec_column *pcol, uint32_t itag, const void **ppv,
                          uint32_t *pcb, uint32_t *pflags)
{
    if (ppv == NULL || pcb == NULL || pcol == NULL)
        return JET_errInvalidParameter;
    *ppv = NULL;
    *pcb = 0;
    if (pflags)
        *pflags = 0;
    int cls = col_class(pcol->columnid);
    if (cls < 0)
        return JET_errBadColumnId;
    if (itag == 0)
        itag = 1;

    if (cls == COL_FIXED) {
        if (itag != 1 || pcol->columnid > pl->cFixed)
            return JET_wrnColumnNull;
        uint32_t ib, cb;
        fixed_locate(pl, pcol->columnid, &ib, &cb);
        if (cb == 0)
            return JET_wrnColumnNull;
        uint32_t cbType = rec_fixed_size(pcol);
        if (cbType == 0)
            return JET_errInvalidColumnType;
        if (cb != cbType)
            return CORRUPT;  /* the stored size disagrees with the schema */
        *ppv = pl->pb + ib;
        *pcb = cb;
        return JET_errSuccess;
    }
    if (cls == COL_VAR) {
        uint32_t j = pcol->columnid - REC_FID_VAR_FIRST;
        if (itag != 1 || j >= pl->cVar)
            return JET_wrnColumnNull;
        uint32_t ib, cb;
        int fNull;
        var_locate(pl, j, &ib, &cb, &fNull);
        if (fNull)
            return JET_wrnColumnNull;
        *ppv = pl->pb + ib;
        *pcb = cb;
        return JET_errSuccess;
    }
    if (pl->fOverflow)
        return JET_errInternalError; /* R-OVF: the isam layer expands a record before reading tags */
    int fFound;
    uint32_t i = tag_find(pl, pcol->columnid, &fFound);
    if (!fFound)
        return JET_wrnColumnNull;
    rec_tagcol t;
    tag_entry(pl, i, &t);
    if (itag > t.cValues)
        return JET_wrnColumnNull;
    const uint8_t *pv;
    uint32_t cb, flags;
    tag_value(pl, &t, itag, &pv, &cb, &flags);
    *ppv = pv;
    *pcb = cb;
    if (pflags)
        *pflags = flags;
    return JET_errSuccess;
}

static JET_ERR get_ex(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol, uint32_t itag,
                      const void **ppv, uint32_t *pcb, uint32_t *pflags, int fFull)
{
    if (ppv == NULL || pcb == NULL || pcol == NULL)
        return JET_errInvalidParameter;
    *ppv = NULL;
    *pcb = 0;
    if (pflags)
        *pflags = 0;
    if (col_class(pcol->columnid) < 0)
        return JET_errBadColumnId;
    rec_layout l;
    JET_ERR err = rec_parse_ex(pbRec, cbRec, &l, fFull);
    if (err < 0)
        return err;
    return get_parsed(&l, pcol, itag, ppv, pcb, pflags);
}

JET_ERR rec_get(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol, uint32_t itag,
                const void **ppv, uint32_t *pcb, uint32_t *pflags)
{
    return get_ex(pbRec, cbRec, pcol, itag, ppv, pcb, pflags, 1);
}

JET_ERR rec_get_valid(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol, uint32_t itag,
                      const void **ppv, uint32_t *pcb, uint32_t *pflags)
{
    return get_ex(pbRec, cbRec, pcol, itag, ppv, pcb, pflags, 0);
}

static uint32_t count_parsed(const rec_layout *pl, const rec_column *pcol)
{
    if (pcol == NULL)
        return 0;
    if (col_class(pcol->columnid) == COL_TAGGED) {
        if (pl->fOverflow)
            return 0;
        int fFound;
        uint32_t i = tag_find(pl, pcol->columnid, &fFound);
        if (!fFound)
            return 0;
        rec_tagcol t;
        tag_entry(pl, i, &t);
        return t.cValues;
    }
    const void *pv;
    uint32_t cb;
    return get_parsed(pl, pcol, 1, &pv, &cb, NULL) == JET_errSuccess ? 1 : 0;
}

static uint32_t count_ex(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol, int fFull)
{
    rec_layout l;
    if (pcol == NULL || rec_parse_ex(pbRec, cbRec, &l, fFull) < 0)
        return 0;
    return count_parsed(&l, pcol);
}

uint32_t rec_count(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol)
{
    return count_ex(pbRec, cbRec, pcol, 1);
}

uint32_t rec_count_valid(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol)
{
    return count_ex(pbRec, cbRec, pcol, 0);
}

/* R-VIEW (record.h): parse once, read many. */
JET_ERR rec_layout_parse(const uint8_t *pbRec, uint32_t cbRec, rec_layout *pl)
{
    return rec_parse_ex(pbRec, cbRec, pl, 1);
}

JET_ERR rec_layout_parse_valid(const uint8_t *pbRec, uint32_t cbRec, rec_layout *pl)
{
    return rec_parse_ex(pbRec, cbRec, pl, 0);
}

JET_ERR rec_layout_get(const rec_layout *pl, const rec_column *pcol, uint32_t itag, const void **ppv, uint32_t *pcb,
                       uint32_t *pflags)
{
    return get_parsed(pl, pcol, itag, ppv, pcb, pflags);
}

uint32_t rec_layout_count(const rec_layout *pl, const rec_column *pcol)
{
    return count_parsed(pl, pcol);
}

JET_ERR rec_enum_tagged(const uint8_t *pbRec, uint32_t cbRec,
                        JET_ERR (*fn)(void *ctx, JET_COLUMNID columnid, uint32_t itag, const void *pv,
                                      uint32_t cb, uint32_t flags),
                        void *ctx)
{
    if (fn == NULL)
        return JET_errInvalidParameter;
    rec_layout l;
    JET_ERR err = rec_parse(pbRec, cbRec, &l);
    if (err < 0)
        return err;
    if (l.fOverflow)
        return JET_errInternalError; /* R-OVF: expanded first */
    for (uint32_t i = 0; i < l.cTag; i++) {
        rec_tagcol t;
        tag_entry(&l, i, &t);
        const uint8_t *pblk = l.pb + t.ibBlock;
        size_t ib = (size_t)REC_TAG_VALHDR * t.cValues;
        for (uint32_t v = 0; v < t.cValues; v++) {
            const uint8_t *ph = pblk + (size_t)REC_TAG_VALHDR * v;
            uint32_t cb = le_get32(ph + 1);
            err = fn(ctx, t.columnid, v + 1, pblk + ib, cb, ph[0]);
            if (err != 0)
                return err;
            ib += cb;
        }
    }
    return JET_errSuccess;
}

/* ---- writing ------------------------------------------------------------- */

JET_ERR rec_init(rec_buf *prec)
{
    return rec_init_format(prec, REC_FORMAT_V1);
}

JET_ERR rec_init_format(rec_buf *prec, uint32_t fmt)
{
    if (prec == NULL || (fmt != REC_FORMAT_V1 && fmt != REC_FORMAT_V2))
        return JET_errInvalidParameter;
    const uint32_t cbAlloc = 64;
    uint8_t *pb = os_malloc(cbAlloc);
    if (pb == NULL)
        return JET_errOutOfMemory;
    if (fmt == REC_FORMAT_V2) {
        pb[0] = REC2_TAG;  /* F = V = 0, no NULL bitmap */
        prec->cb = 1;
    } else {
        pb[0] = REC_FORMAT;
        pb[1] = pb[2] = pb[3] = 0;
        prec->cb = REC_HDR_SIZE;
    }
    prec->pb = pb;
    prec->cbAlloc = cbAlloc;
    return JET_errSuccess;
}

void rec_free(rec_buf *prec)
{
    if (prec == NULL)
        return;
    os_free(prec->pb);
    prec->pb = NULL;
    prec->cb = 0;
    prec->cbAlloc = 0;
}

/* One value of a tagged column while a block is rebuilt. */
typedef struct rec_tv {
    const uint8_t *pv;
    uint32_t cb;
    uint32_t flags;
} rec_tv;

/* What rec_set does, described so that one routine can size and write it. */
typedef struct rec_edit {
    const rec_layout *pl;
    int      cls;
    uint32_t fid;          /* fixed id / variable index (0-based) */
    const uint8_t *pv;     /* new value (NULL = set NULL) for fixed / variable */
    uint32_t cb;
    /* fixed / variable: new entry counts */
    uint32_t cFixedNew;
    uint32_t cVarNew;
    /* tagged */
    uint32_t iTag;         /* directory index of the column (or insertion point) */
    int      fTagFound;
    rec_tv  *rgtv;         /* the column's new values */
    uint32_t ctv;
} rec_edit;

/* fNulls: version 2 only, the record has a variable NULL bitmap. */
static void emit_header(rec_w *w, uint32_t fmt, uint32_t F, uint32_t V, int fNulls)
{
    if (fmt == REC_FORMAT_V2) {
        uint32_t b0 = REC2_TAG | (fNulls ? REC2_N : 0);
        if (F > REC2_NARROW_MAX || V > REC2_NARROW_MAX) {
            w_u8(w, b0 | REC2_W);
            w_u8(w, F);
            w_u8(w, V);
        } else {
            w_u8(w, b0 | (F << 4) | (V << 6));
        }
        return;
    }
    w_u8(w, REC_FORMAT);
    w_u8(w, F);
    w_u8(w, V);
    w_u8(w, 0);
}

/* Fixed sizes + fixed data of the new record (fixed edit). */
static void emit_fixed_edit(rec_w *w, const rec_edit *pe)
{
    const rec_layout *pl = pe->pl;
    uint32_t F = pe->cFixedNew;
    for (uint32_t i = 1; i <= F; i++) {
        if (i == pe->fid)
            w_u8(w, pe->pv ? pe->cb : 0);
        else
            w_u8(w, i <= pl->cFixed ? pl->pb[pl->ibFixedSizes + i - 1] : 0);
    }
    for (uint32_t i = 1; i <= F; i++) {
        if (i == pe->fid) {
            if (pe->pv)
                w_bytes(w, pe->pv, pe->cb);
        } else if (i <= pl->cFixed) {
            uint32_t ib, cb;
            fixed_locate(pl, i, &ib, &cb);
            w_bytes(w, pl->pb + ib, cb);
        }
    }
}

/* Whether variable entry j of the record after the edit is NULL, and its size. */
static int var_edit_entry(const rec_edit *pe, uint32_t j, uint32_t *pcb)
{
    const rec_layout *pl = pe->pl;
    *pcb = 0;
    if (j == pe->fid) {
        *pcb = pe->pv ? pe->cb : 0;
        return pe->pv == NULL;
    }
    if (j < pl->cVar) {
        uint32_t ib;
        int fNull;
        var_locate(pl, j, &ib, pcb, &fNull);
        return fNull;
    }
    return 1;
}

/* Version 2: whether the record after a variable edit has a NULL entry. */
static int var_edit_has_null(const rec_edit *pe)
{
    for (uint32_t j = 0; j < pe->cVarNew; j++) {
        uint32_t cb;
        if (var_edit_entry(pe, j, &cb))
            return 1;
    }
    return 0;
}

/* Variable offsets + variable data of the new record (variable edit). */
static void emit_var_edit(rec_w *w, const rec_edit *pe)
{
    const rec_layout *pl = pe->pl;
    uint32_t V = pe->cVarNew, end = 0;
    if (pl->fmt == REC_FORMAT_V2) {
        uint32_t cb;
        for (uint32_t j = 0; j < V; j++) {
            var_edit_entry(pe, j, &cb);
            w_u8(w, cb);
        }
        if (var_edit_has_null(pe)) {
            for (uint32_t k = 0; k < V; k += 8) {
                uint32_t b = 0;
                for (uint32_t j = k; j < V && j < k + 8; j++)
                    b |= (uint32_t)var_edit_entry(pe, j, &cb) << (j - k);
                w_u8(w, b);
            }
        }
        goto data;
    }
    for (uint32_t j = 0; j < V; j++) {
        uint32_t cb = 0;
        int fNull = 1;
        if (j == pe->fid) {
            fNull = pe->pv == NULL;
            cb = fNull ? 0 : pe->cb;
        } else if (j < pl->cVar) {
            uint32_t ib;
            var_locate(pl, j, &ib, &cb, &fNull);
        }
        end += cb;
        w_u16(w, end | (fNull ? REC_VAR_NULL : 0));
    }
data:
    for (uint32_t j = 0; j < V; j++) {
        if (j == pe->fid) {
            if (pe->pv)
                w_bytes(w, pe->pv, pe->cb);
        } else if (j < pl->cVar) {
            uint32_t ib, cb;
            int fNull;
            var_locate(pl, j, &ib, &cb, &fNull);
            w_bytes(w, pl->pb + ib, cb);
        }
    }
}

static uint64_t tv_block_size(const rec_edit *pe)
{
    uint64_t cb = (uint64_t)REC_TAG_VALHDR * pe->ctv;
    for (uint32_t v = 0; v < pe->ctv; v++)
        cb += pe->rgtv[v].cb;
    return cb;
}

/* Tagged area of the new record (tagged edit).  Block ends are u32; a size
 * check against UINT32_MAX happens before the write pass.  The directory
 * entries and blocks before the edited column are copied as they are (their
 * ends do not move), those after it in one piece with their ends shifted:
 * appending a column costs its own bytes plus one copy, not a pass over
 * every column. */
static void emit_tagged_edit(rec_w *w, const rec_edit *pe, uint32_t columnid)
{
    const rec_layout *pl = pe->pl;
    uint32_t C = pl->cTag - (pe->fTagFound ? 1 : 0) + (pe->ctv ? 1 : 0);
    if (C == 0)
        return;
    w_u16(w, C);
    uint32_t iAfter = pe->iTag + (pe->fTagFound ? 1 : 0); /* first old entry after the edited one */
    /* ends: old blocks [0, iTag) end at or before ibStart; the old block of
     * the column (when found) runs ibStart..ibAfter */
    const uint8_t *pdir = pl->cTag ? pl->pb + pl->ibTagDir : NULL;    /* none without a tagged area */
    const uint8_t *pdata = pl->cTag ? pl->pb + pl->ibTagData : NULL;
    uint32_t ibStart = pe->iTag ? le_get32(pdir + (size_t)REC_TAG_DIRENT * (pe->iTag - 1) + 4) : 0;
    uint32_t ibAfter = pe->fTagFound ? le_get32(pdir + (size_t)REC_TAG_DIRENT * pe->iTag + 4) : ibStart;
    uint64_t cbNewBlock = pe->ctv ? tv_block_size(pe) : 0;
    /* directory */
    w_bytes(w, pdir, (uint64_t)REC_TAG_DIRENT * pe->iTag);
    if (pe->ctv) {
        w_u16(w, columnid);
        w_u16(w, pe->ctv);
        w_u32(w, (uint32_t)(ibStart + cbNewBlock));
    }
    for (uint32_t i = iAfter; i < pl->cTag; i++) {
        const uint8_t *pent = pdir + (size_t)REC_TAG_DIRENT * i;
        w_u16(w, le_get16(pent));
        w_u16(w, le_get16(pent + 2));
        w_u32(w, (uint32_t)((uint64_t)le_get32(pent + 4) - ibAfter + ibStart + cbNewBlock));
    }
    /* data */
    w_bytes(w, pdata, ibStart);
    if (pe->ctv) {
        for (uint32_t v = 0; v < pe->ctv; v++) {
            w_u8(w, pe->rgtv[v].flags);
            w_u32(w, pe->rgtv[v].cb);
        }
        for (uint32_t v = 0; v < pe->ctv; v++)
            w_bytes(w, pe->rgtv[v].pv, pe->rgtv[v].cb);
    }
    if (pdata)
        w_bytes(w, pdata + ibAfter, pl->cbTagData - ibAfter);
}

/* Whole new record; w->pb NULL = size only. */
static void emit_record(rec_w *w, const rec_edit *pe, uint32_t columnid)
{
    const rec_layout *pl = pe->pl;
    uint32_t F = pe->cls == COL_FIXED ? pe->cFixedNew : pl->cFixed;
    uint32_t V = pe->cls == COL_VAR ? pe->cVarNew : pl->cVar;
    int fNulls = pe->cls == COL_VAR ? var_edit_has_null(pe) : pl->ibVarNulls != 0;
    emit_header(w, pl->fmt, F, V, fNulls);
    if (pe->cls == COL_FIXED)
        emit_fixed_edit(w, pe);
    else if (!pl->fEmpty)
        w_bytes(w, pl->pb + pl->ibFixedSizes, pl->ibVarOffs - pl->ibFixedSizes);
    if (pe->cls == COL_VAR)
        emit_var_edit(w, pe);
    else if (!pl->fEmpty)
        w_bytes(w, pl->pb + pl->ibVarOffs, pl->ibTagged - pl->ibVarOffs);
    if (pe->cls == COL_TAGGED)
        emit_tagged_edit(w, pe, columnid);
    else if (!pl->fEmpty)
        w_bytes(w, pl->pb + pl->ibTagged, pl->cb - pl->ibTagged);
}

/* Check the value against the column definition. */
static JET_ERR check_value(const rec_column *pcol, int cls, const void *pv, uint32_t cb, uint32_t flags)
{
    if (pv == NULL)
        return JET_errSuccess;
    if (cls == COL_FIXED)
        return cb == rec_fixed_size(pcol) ? JET_errSuccess : JET_errInvalidBufferSize;
    uint32_t cbType = type_size(pcol->coltyp);
    if (cls == COL_VAR) {
        if (cbType)
            return cb == cbType ? JET_errSuccess : JET_errInvalidBufferSize;
        uint32_t cbMax = pcol->cbMax && pcol->cbMax < REC_VAR_CBMAX ? pcol->cbMax : REC_VAR_CBMAX;
        return cb <= cbMax ? JET_errSuccess : JET_errColumnTooBig;
    }
    if (flags & REC_TAG_SEPARATED)
        return JET_errSuccess;  /* a long-value reference: the isam layer checks the length */
    if (cbType)
        return cb == cbType ? JET_errSuccess : JET_errInvalidBufferSize;
    uint32_t cbMax = pcol->cbMax;
    if (cbMax == 0)
        cbMax = (pcol->coltyp == JET_coltypText || pcol->coltyp == JET_coltypBinary) ? JET_cbColumnMost
                                                                                   : 0x7FFFFFFFu;
    return cb <= cbMax ? JET_errSuccess : JET_errColumnTooBig;
}

static JET_ERR set_ex(rec_buf *prec, const rec_column *pcol, uint32_t itag, const void *pv, uint32_t cb,
                      uint32_t flags, uint32_t cbRecMax, int fFull)
{
    if (prec == NULL || pcol == NULL)
        return JET_errInvalidParameter;
    int cls = col_class(pcol->columnid);
    if (cls < 0)
        return JET_errBadColumnId;
    if (!type_valid(pcol->coltyp))
        return JET_errInvalidColumnType;
    if (cls == COL_FIXED && rec_fixed_size(pcol) == 0)
        return JET_errInvalidColumnType;
    if (cls != COL_TAGGED) {
        if (itag > 1)
            return JET_errBadItagSequence;
        flags = 0;
    } else if (flags & ~(uint32_t)REC_TAG_FLAGS_KNOWN) {
        return JET_errInvalidParameter;
    }
    JET_ERR err = check_value(pcol, cls, pv, cb, flags);
    if (err < 0)
        return err;

    rec_layout l;
    err = rec_parse_ex(prec->pb, prec->cb, &l, fFull);
    if (err < 0)
        return err;

    rec_edit e;
    memset(&e, 0, sizeof(e));
    e.pl = &l;
    e.cls = cls;
    e.pv = pv;
    e.cb = cb;
    if (cls == COL_FIXED) {
        e.fid = pcol->columnid;
        uint32_t F = l.cFixed;
        if (pv && e.fid > F)
            F = e.fid;
        /* trim trailing NULLs */
        while (F > 0) {
            uint32_t sz;
            if (F == e.fid)
                sz = pv ? cb : 0;
            else
                sz = F <= l.cFixed ? l.pb[l.ibFixedSizes + F - 1] : 0;
            if (sz)
                break;
            F--;
        }
        e.cFixedNew = F;
    } else if (cls == COL_VAR) {
        e.fid = pcol->columnid - REC_FID_VAR_FIRST;
        uint32_t V = l.cVar;
        if (pv && e.fid + 1 > V)
            V = e.fid + 1;
        while (V > 0) {
            int fNull = 1;
            if (V - 1 == e.fid) {
                fNull = pv == NULL;
            } else if (V - 1 < l.cVar) {
                uint32_t ib, cbv;
                var_locate(&l, V - 1, &ib, &cbv, &fNull);
            }
            if (!fNull)
                break;
            V--;
        }
        e.cVarNew = V;
    } else {
        if (l.fOverflow)
            return JET_errInternalError; /* R-OVF: tagged values are set in the expanded record */
        e.iTag = tag_find(&l, pcol->columnid, &e.fTagFound);
        rec_tagcol t;
        memset(&t, 0, sizeof(t));
        if (e.fTagFound)
            tag_entry(&l, e.iTag, &t);
        uint32_t cval = t.cValues;
        int fAppend = (itag == 0 || itag > cval);
        if (pv == NULL && fAppend)
            return JET_errSuccess;  /* removing a value that does not exist */
        if (pv && fAppend && cval >= REC_TAG_VALUES_MAX)
            return JET_errRecordTooBig;
        e.rgtv = os_malloc(sizeof(rec_tv) * ((size_t)cval + 1));
        if (e.rgtv == NULL)
            return JET_errOutOfMemory;
        for (uint32_t v = 0; v < cval; v++)
            tag_value(&l, &t, v + 1, &e.rgtv[v].pv, &e.rgtv[v].cb, &e.rgtv[v].flags);
        e.ctv = cval;
        rec_tv tvNew = { (const uint8_t *)pv, cb, flags };
        if (pv == NULL) {
            memmove(&e.rgtv[itag - 1], &e.rgtv[itag], sizeof(rec_tv) * (cval - itag));
            e.ctv--;
        } else if (fAppend) {
            e.rgtv[e.ctv++] = tvNew;
        } else {
            e.rgtv[itag - 1] = tvNew;
        }
        if (tv_block_size(&e) > UINT32_MAX) {
            os_free(e.rgtv);
            return JET_errRecordTooBig;
        }
    }

    rec_w w = { NULL, 0 };
    emit_record(&w, &e, pcol->columnid);
    uint64_t cbNew = w.ib;
    if (cbNew > UINT32_MAX || (cbNew > cbRecMax && cbNew > prec->cb)) {
        os_free(e.rgtv);
        return JET_errRecordTooBig;
    }
    uint8_t *pbNew = os_malloc((size_t)cbNew);
    if (pbNew == NULL) {
        os_free(e.rgtv);
        return JET_errOutOfMemory;
    }
    w.pb = pbNew;
    w.ib = 0;
    emit_record(&w, &e, pcol->columnid);
    os_free(e.rgtv);
    os_free(prec->pb);
    prec->pb = pbNew;
    prec->cb = (uint32_t)cbNew;
    prec->cbAlloc = (uint32_t)cbNew;
    return JET_errSuccess;
}

JET_ERR rec_set(rec_buf *prec, const rec_column *pcol, uint32_t itag, const void *pv, uint32_t cb,
                uint32_t flags, uint32_t cbRecMax)
{
    return set_ex(prec, pcol, itag, pv, cb, flags, cbRecMax, 1);
}

JET_ERR rec_set_valid(rec_buf *prec, const rec_column *pcol, uint32_t itag, const void *pv, uint32_t cb,
                      uint32_t flags, uint32_t cbRecMax)
{
    return set_ex(prec, pcol, itag, pv, cb, flags, cbRecMax, 0);
}

/* ---- overflow records (R-OVF) -------------------------------------------- */
/*
 * R-OVF.  A record whose whole encoding is larger than a btree node may hold
 * is stored in "overflow form": its header, fixed and variable parts as
 * above, then a tagged area of exactly 2 + REC_OVF_REF_SIZE bytes,
 *     u16 C = 0            (never a valid count: it marks the form)
 *     REC_OVF_REF_SIZE     an opaque reference (the isam layer's: lv.c)
 * The referenced bytes are the record's real tagged area (C >= 1, as above).
 * Only the isam layer's storage code sees this form: it expands a stored
 * record (rec_ovf_expand) before anyone reads a tagged value, and makes the
 * form (rec_ovf_make) only when writing a record to its node.  Reading or
 * setting a tagged value of a record in overflow form is JET_errInternalError;
 * fixed and variable columns read and set as in any record (escrow updates
 * change the stored form in place; the reference is copied unchanged).
 * Records that fit their node never take this form, so their bytes are those
 * of format version 1 unchanged.
 */

static JET_ERR parse_overflow(const uint8_t *pb, uint32_t cb, uint64_t ib, rec_layout *pl)
{
    (void)pb;
    if (ib + 2 + REC_OVF_REF_SIZE != cb)
        return CORRUPT;
    pl->fOverflow = 1;
    pl->ibOvfRef = (uint32_t)ib + 2;
    return JET_errSuccess;
}

int rec_ovf_ref(const uint8_t *pbRec, uint32_t cbRec, const uint8_t **ppRef)
{
    rec_layout l;
    if (rec_parse(pbRec, cbRec, &l) < 0)
        return -1;
    if (!l.fOverflow)
        return 0;
    if (ppRef)
        *ppRef = l.pb + l.ibOvfRef;
    return 1;
}

JET_ERR rec_tagged_split(const uint8_t *pbRec, uint32_t cbRec, uint32_t *pibTagged)
{
    rec_layout l;
    JET_ERR err = rec_parse(pbRec, cbRec, &l);
    if (err < 0)
        return err;
    if (l.fOverflow)
        return JET_errInternalError;
    *pibTagged = l.fEmpty ? 0 : l.ibTagged;
    return JET_errSuccess;
}

/* Replace *pout's contents with cb bytes built from two pieces. */
static JET_ERR buf_two(rec_buf *pout, const uint8_t *p1, uint32_t cb1, const uint8_t *p2, uint32_t cb2)
{
    uint64_t cb = (uint64_t)cb1 + cb2;
    if (cb > UINT32_MAX)
        return JET_errRecordTooBig;
    uint8_t *pb = os_malloc(cb ? (size_t)cb : 1);
    if (pb == NULL)
        return JET_errOutOfMemory;
    if (cb1)
        memcpy(pb, p1, cb1);
    if (cb2)
        memcpy(pb + cb1, p2, cb2);
    os_free(pout->pb);
    pout->pb = pb;
    pout->cb = (uint32_t)cb;
    pout->cbAlloc = cb ? (uint32_t)cb : 1;
    return JET_errSuccess;
}

JET_ERR rec_ovf_make(const uint8_t *pbRec, uint32_t cbRec, const uint8_t ref[REC_OVF_REF_SIZE], rec_buf *pout)
{
    uint32_t ibTagged = 0;
    JET_ERR err = rec_tagged_split(pbRec, cbRec, &ibTagged);
    if (err < 0)
        return err;
    if (ibTagged == 0 || ibTagged == cbRec)
        return JET_errInvalidParameter; /* no tagged area to move out */
    uint8_t tail[2 + REC_OVF_REF_SIZE] = { 0, 0 };
    memcpy(tail + 2, ref, REC_OVF_REF_SIZE);
    return buf_two(pout, pbRec, ibTagged, tail, sizeof(tail));
}

JET_ERR rec_ovf_expand(rec_buf *prec, const uint8_t *pbTagged, uint32_t cbTagged)
{
    rec_layout l;
    JET_ERR err = rec_parse(prec->pb, prec->cb, &l);
    if (err < 0)
        return err;
    if (!l.fOverflow)
        return JET_errInvalidParameter;
    rec_buf out = { 0 };
    err = buf_two(&out, prec->pb, l.ibTagged, pbTagged, cbTagged);
    if (err < 0)
        return err;
    /* the result must be a whole record in the ordinary form */
    rec_layout l2;
    err = rec_parse(out.pb, out.cb, &l2);
    if (err >= 0 && (l2.fOverflow || l2.cTag == 0))
        err = CORRUPT;
    if (err < 0) {
        rec_free(&out);
        return err;
    }
    rec_free(prec);
    *prec = out;
    return JET_errSuccess;
}
