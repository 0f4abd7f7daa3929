/*
 * record.h -- records and keys: how column values are laid out in a record,
 * and how column values become normalized index keys.  Pure functions over
 * memory: no I/O, no locks, no engine state.
 *
 * Owns: the record format and the key normalization format (both on disk,
 * both documented as tables in record.c / key.c).
 * Must not touch: btrees, the catalog, transactions.
 *
 * Column ids (ESE's ranges): fixed 1..127, variable 128..255, tagged 256..65535
 * (JET_ccolFixedMost, JET_ccolVarMost, JET_ccolMost).  Fixed columns have
 * the type's size (Bit, UnsignedByte 1; Short, UnsignedShort 2; Long,
 * UnsignedLong, IEEESingle 4; Currency, IEEEDouble, DateTime, LongLong,
 * UnsignedLongLong 8; GUID 16; Text/Binary declared JET_bitColumnFixed:
 * cbMax bytes).  Variable columns are Text/Binary up to 255 bytes.  Tagged
 * columns hold any type, may be multi-valued (itagSequence 1..n) and are the
 * home of long values (LongText/LongBinary; the isam layer decides when a long
 * value is stored separately and then stores a reference here: the record
 * format only carries a flag bit per tagged value, REC_TAG_SEPARATED).
 */
#ifndef ESEPY_RECORD_H
#define ESEPY_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "esent.h"

/* Schema information the record format needs about one column. */
typedef struct rec_column {
    JET_COLUMNID columnid;
    JET_COLTYP   coltyp;
    uint32_t     cbMax;     /* fixed size for fixed columns; max length otherwise (0 = type max) */
    JET_GRBIT    grbit;     /* JET_bitColumn* */
    uint16_t     cp;        /* code page for text: 1200 (UTF-16LE) or 1252 (ASCII/ANSI); 0 = 1252 */
} rec_column;

/* A growable record buffer owned by the caller (data allocated with os_malloc). */
typedef struct rec_buf {
    uint8_t *pb;
    uint32_t cb;     /* bytes used */
    uint32_t cbAlloc;
} rec_buf;

#define REC_TAG_SEPARATED 0x1  /* the tagged value is a long-value reference */

/* Size in bytes of a fixed column of this type (cbMax for fixed Text/Binary),
 * 0 for types that cannot be fixed. */
uint32_t rec_fixed_size(const rec_column *pcol);

/* Read column `pcol` (value number itag, 1-based, for tagged/multi-valued
 * columns; 1 for others) from record (pbRec, cbRec).
 * On success *ppv / *pcb point into the record.  Returns JET_errSuccess,
 * JET_wrnColumnNull (absent/NULL; *pcb = 0), or JET_errDatabaseCorrupted if
 * the record is malformed (never reads outside pbRec..pbRec+cbRec).
 * *pflags (may be NULL) receives REC_TAG_* for tagged values. */
JET_ERR rec_get(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol, uint32_t itag,
                const void **ppv, uint32_t *pcb, uint32_t *pflags);

/* Number of values of a tagged column (0 if NULL); 1/0 for fixed/variable. */
uint32_t rec_count(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol);

/* R-VALID (record.c): the whole record checked once (rec_check: 0 or
 * JET_errDatabaseCorrupted), then read and changed through the _valid
 * functions, which skip the walk over every tagged column and value that
 * the others repeat (they still check the header, fixed and variable parts
 * and the tagged directory's bounds).  Only for a record that passed
 * rec_check (or was made by rec_init) and was changed only by rec_set /
 * rec_set_valid since: each keeps a record well-formed. */
JET_ERR  rec_check(const uint8_t *pbRec, uint32_t cbRec);
JET_ERR  rec_get_valid(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol, uint32_t itag,
                       const void **ppv, uint32_t *pcb, uint32_t *pflags);
uint32_t rec_count_valid(const uint8_t *pbRec, uint32_t cbRec, const rec_column *pcol);

/* R-VIEW (record.c): a record parsed once, then read column by column
 * without parsing it again (a JetRetrieveColumn per column of one row; C
 * tagged columns read one by one cost O(C log C), not O(C^2)).  The layout
 * points into the record's bytes: it describes them only while they stay
 * unchanged at the same address, and whoever keeps one next to a buffer must
 * forget it wherever that buffer is rewritten or reloaded (cursor.c keeps
 * one for the cursor's current record: V5b in isam_int.h).
 * rec_layout_parse checks the whole record (as rec_check);
 * rec_layout_parse_valid only what the R-VALID functions check (a record
 * under R-VALID).  rec_layout_get / rec_layout_count answer as rec_get /
 * rec_count on the record the layout was parsed from.  The fields are
 * record.c's; nothing else reads them. */
typedef struct rec_layout {
    const uint8_t *pb;
    uint32_t cb;
    int      fEmpty;        /* 0-byte record */
    uint32_t fmt;           /* REC_FORMAT_V1 / REC_FORMAT_V2 (V1 when empty) */
    uint32_t ibVarNulls;    /* version 2 with N: the NULL bitmap, else 0 */
    uint32_t cFixed;        /* F */
    uint32_t cVar;          /* V */
    uint32_t ibFixedSizes;
    uint32_t ibFixedData;
    uint32_t ibVarOffs;
    uint32_t ibVarData;
    uint32_t cbVarData;
    uint32_t ibTagged;      /* start of the tagged area (== cb when absent) */
    uint32_t cTag;          /* C */
    uint32_t ibTagDir;
    uint32_t ibTagData;
    uint32_t cbTagData;
    int      fOverflow;     /* the tagged area is an overflow reference (R-OVF) */
    uint32_t ibOvfRef;
} rec_layout;

JET_ERR  rec_layout_parse(const uint8_t *pbRec, uint32_t cbRec, rec_layout *pl);
JET_ERR  rec_layout_parse_valid(const uint8_t *pbRec, uint32_t cbRec, rec_layout *pl);
JET_ERR  rec_layout_get(const rec_layout *pl, const rec_column *pcol, uint32_t itag, const void **ppv, uint32_t *pcb,
                        uint32_t *pflags);
uint32_t rec_layout_count(const rec_layout *pl, const rec_column *pcol);

/* Set column `pcol` in the record held in *prec (rewriting it in place):
 *   pv == NULL        -> set NULL (itag 0/1 for non-tagged; for tagged, remove value itag)
 *   itag == 0         -> tagged: append a new value; others: same as 1
 *   itag > count      -> tagged: append
 * flags: REC_TAG_* for tagged values.
 * Errors: JET_errOutOfMemory, JET_errInvalidBufferSize (fixed column with a
 * wrong-sized value), JET_errColumnTooBig (var > cbMax or > 255),
 * JET_errRecordTooBig when the result exceeds cbRecMax. */
JET_ERR rec_set(rec_buf *prec, const rec_column *pcol, uint32_t itag, const void *pv, uint32_t cb,
                uint32_t flags, uint32_t cbRecMax);
/* rec_set on a record under R-VALID (see rec_check). */
JET_ERR rec_set_valid(rec_buf *prec, const rec_column *pcol, uint32_t itag, const void *pv, uint32_t cb,
                      uint32_t flags, uint32_t cbRecMax);

/* Record formats (record.c has both layouts as tables).  Version 1: a
 * 4-byte header (format 0x01, F, V, 0), F fixed sizes, fixed data, V u16
 * variable end offsets (bit 15 = NULL), variable data, tagged area.
 * Version 2: b0 (bits 0-1 = 2, N = NULL bitmap present, W = wide counts, F
 * and V in bits 4-7 when both <= 3, else in bytes 1-2), F fixed sizes, fixed
 * data, V u8 variable lengths, the NULL bitmap when N, variable data, the
 * same tagged area.  b0 & 3 tells them apart.  A record keeps its format
 * when rec_set rewrites it; every reader accepts both.  The isam layer picks
 * the format of new records from the file's header (isam_db_rec_format). */
#define REC_FORMAT_V1 1  /* 4-byte header, u16 variable end offsets */
#define REC_FORMAT_V2 2  /* 1- or 3-byte header, u8 variable lengths (DB_INCOMPAT_RECORD_HDR2) */

/* An empty record (no column set) of format version 1. */
JET_ERR rec_init(rec_buf *prec);
/* An empty record of format fmt (REC_FORMAT_V1 / V2; else JET_errInvalidParameter). */
JET_ERR rec_init_format(rec_buf *prec, uint32_t fmt);
void    rec_free(rec_buf *prec);

/* Enumerate the tagged values present: calls fn for each (columnid, itag, pv, cb, flags)
 * in column id order; a non-zero return stops and is returned. */
JET_ERR rec_enum_tagged(const uint8_t *pbRec, uint32_t cbRec,
                        JET_ERR (*fn)(void *ctx, JET_COLUMNID columnid, uint32_t itag, const void *pv,
                                      uint32_t cb, uint32_t flags),
                        void *ctx);

/* ---- overflow form (record.c R-OVF) -------------------------------------- */

/* A record too big for its node is stored with its tagged area elsewhere and
 * an opaque REC_OVF_REF_SIZE-byte reference in its place (the "overflow form",
 * record.c R-OVF).  rec_get / rec_set / rec_enum_tagged refuse tagged columns
 * of a record in that form (JET_errInternalError): expand it first. */
#define REC_OVF_REF_SIZE 16

/* 1 if the record is in overflow form (*ppRef, may be NULL: its reference),
 * 0 if not, -1 if it is malformed. */
int rec_ovf_ref(const uint8_t *pbRec, uint32_t cbRec, const uint8_t **ppRef);
/* Offset of the tagged area of an ordinary record (cbRec when it has none;
 * 0 for an empty 0-byte record).  JET_errInternalError for the overflow form. */
JET_ERR rec_tagged_split(const uint8_t *pbRec, uint32_t cbRec, uint32_t *pibTagged);
/* *pout = the overflow form of an ordinary record with a tagged area:
 * its bytes before the tagged area, then the reference. */
JET_ERR rec_ovf_make(const uint8_t *pbRec, uint32_t cbRec, const uint8_t ref[REC_OVF_REF_SIZE], rec_buf *pout);
/* Turn a record in overflow form into the ordinary record whose tagged area is
 * pbTagged/cbTagged (validated: JET_errDatabaseCorrupted if the result is not
 * a well-formed record with tagged values).  Unchanged on error. */
JET_ERR rec_ovf_expand(rec_buf *prec, const uint8_t *pbTagged, uint32_t cbTagged);

/* ---- keys ---------------------------------------------------------------- */

/* Segment flags for key normalization. */
#define KEY_SEG_DESCENDING     0x01
#define KEY_SEG_SORTNULLSHIGH  0x02
#define KEY_SEG_CASESENSITIVE  0x04  /* text: ordinal comparison (no case folding) */
#define KEY_SEG_TEXT8          0x08  /* cp-1200 text in 1-3 bytes a unit (key.c); kept in the
                                      * catalog, set on the indexes of files with
                                      * DB_INCOMPAT_INDEX_COMPACT (index.c K8) */

/* Append the normalized form of one key segment (value pv/cb of column type
 * pcol, or NULL when pv == NULL) to key[*pcbKey..cbKeyMax).  Normalized keys
 * of one index compare with memcmp (shorter-is-smaller) exactly as the values
 * compare under ESE's rules for the type: signed/unsigned integers numerically,
 * IEEE values numerically (-0 == +0; NaN sorts after +inf), DateTime as double,
 * Currency as int64, GUID in ESE's byte order (the 16 bytes as stored),
 * Bit as 0/1, Text case-insensitively by default (ASCII folding for cp 1252,
 * simple Unicode case folding for cp 1200), Binary bytewise with shorter-first,
 * NULL before every value (after, with SORTNULLSHIGH), descending segments
 * inverted.  A concatenation of segments compares segment by segment.
 * When the segment does not fit, as much as fits is written and
 * JET_wrnKeyTruncated-like behaviour is reported as *pfTruncated = 1
 * (ESE silently truncates keys). */
JET_ERR key_append_segment(uint8_t *key, uint32_t *pcbKey, uint32_t cbKeyMax, const rec_column *pcol,
                           const void *pv, uint32_t cb, uint32_t segflags, int *pfTruncated);

/* As key_append_segment, but for a prefix of a Text/Binary (Long*) value:
 * no terminator, so the result is a prefix of the key of every value that
 * starts with pv/cb (JET_bitPartialColumnStartLimit, and before
 * key_append_limit for SubStrLimit / PartialColumnEndLimit).  Other types and
 * NULL: same as key_append_segment. */
JET_ERR key_append_segment_prefix(uint8_t *key, uint32_t *pcbKey, uint32_t cbKeyMax, const rec_column *pcol,
                                  const void *pv, uint32_t cb, uint32_t segflags, int *pfTruncated);

/* Limits for JetMakeKey grbits on the last segment: append the byte pattern
 * that makes the key sort just after every key that starts with the segment
 * prefix (JET_bitStrLimit / SubStrLimit / FullColumnEndLimit / PartialColumnEndLimit).
 * Full-column limits follow key_append_segment, partial-column limits follow
 * key_append_segment_prefix (see key.c). */
JET_ERR key_append_limit(uint8_t *key, uint32_t *pcbKey, uint32_t cbKeyMax, int fFullColumn);

/* Read back one segment of a normalized key made by key_append_segment:
 * the segment starting at key[*pib] (cbKey bytes of key in all).  Returns
 *   KEY_DEC_VALUE      the exact value is in pvOut[0..*pcbOut) (pvOut needs
 *                      cbKey bytes; fixed types come back little-endian as stored)
 *   KEY_DEC_NULL       the segment is NULL
 *   KEY_DEC_LOSSY      the segment is complete but the value cannot be
 *                      recovered (folded text, a non-zero Bit, a zero or NaN
 *                      float): the caller reads the record instead
 *   KEY_DEC_TRUNCATED  the key ends inside the segment (key truncation)
 * and, unless truncated, advances *pib past the segment. */
#define KEY_DEC_VALUE     0
#define KEY_DEC_NULL      1
#define KEY_DEC_LOSSY     2
#define KEY_DEC_TRUNCATED 3
int key_decode_segment(const uint8_t *key, uint32_t cbKey, uint32_t *pib, const rec_column *pcol, uint32_t segflags,
                       uint8_t *pvOut, uint32_t *pcbOut);

#endif /* ESEPY_RECORD_H */
