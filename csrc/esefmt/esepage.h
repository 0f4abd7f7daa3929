/*
 * esepage.h -- a mutable model of one page of a Windows ESE database, for
 * redo and undo during recovery (eseredo.c, esesplit.c, eseundo.c).
 *
 * Owns: the decoding of raw page bytes into an editable structure (header
 * fields, the reserved tags -- tag 0 is the external header / key prefix --
 * and the lines, each with its node flags, prefix count, key suffix and
 * data), the operations redo needs on it, and the encoding back into ESE's
 * layout with the checksum of the page's own scheme.
 * Must not touch: files, caches, the log; it is pure computation over memory
 * it owns (every buffer in an esepage is allocated by these functions and
 * released by esepage_free).
 *
 * Layouts (reference ese-log-format.md §5.3):
 *  - small pages (<= 8 KiB): 40-byte header; 4-byte tags (cb u16, ib u16) with
 *    13-bit cb and ib, the node flags in the top 3 bits of the tag's ib word;
 *  - large pages (16/32 KiB): 80-byte header (three more block checksums and
 *    the page number at 64); 15-bit cb and ib; the node flags in the top 3
 *    bits of the node's first 16-bit word (tag 0 carries none);
 *  - itagState (u16 @34): 12-bit itagMicFree (tags in use) + 3-bit count of
 *    reserved tags (0 on legacy pages, meaning 1);
 *  - a node: [cbPrefix u16 if compressed] cbSuffix u16, suffix, data.
 * Lines are numbered from 0 after the reserved tags (line i is tag
 * i + ctagReserved), as log records number them (iline).
 *
 * Invariants of an esepage (kept by every function here):
 *  E1 every line's cbPrefix is 0 unless the compressed flag is set, and a
 *     compressed line's cbPrefix is <= the size of tag 0's data at the time
 *     it is encoded (esepage_encode checks it: JET_errDatabaseCorrupted);
 *  E2 esepage_encode writes the lines packed from the header on, in tag
 *     order, the tag array at the page end, and cbFree, ibMicFree and
 *     itagState consistent with them; it fails with JET_errPageSizeMismatch
 *     (nothing written) when the content does not fit;
 *  E3 header bytes the model does not interpret (large-page reserved bytes,
 *     flag bits) are kept as decoded.
 */
#ifndef ESEPY_ESEPAGE_H
#define ESEPY_ESEPAGE_H

#include <stddef.h>
#include <stdint.h>

#include "esent.h"

/* node flags (as ESEFMT_ND_*) */
#define ESEPAGE_ND_VERSION    0x1u
#define ESEPAGE_ND_DELETED    0x2u
#define ESEPAGE_ND_COMPRESSED 0x4u

/* page flags (header @36); see esefmt_int.h ESEFMT_PG_* for the tree ones */
#define ESEPAGE_PG_ROOT          0x0001u
#define ESEPAGE_PG_LEAF          0x0002u
#define ESEPAGE_PG_PARENT        0x0004u
#define ESEPAGE_PG_EMPTY         0x0008u
#define ESEPAGE_PG_SPACE         0x0020u
#define ESEPAGE_PG_INDEX         0x0040u
#define ESEPAGE_PG_LV            0x0080u
#define ESEPAGE_PG_NEWCHK        0x2000u  /* ECC checksum (small pages; large pages always use it) */
#define ESEPAGE_PG_NEWRECORD     0x0800u
#define ESEPAGE_PG_FLUSHTYPE     0x18000u /* flush-type bits (flush map) */
#define ESEPAGE_PG_PREINIT       0x20000u /* NewPage: initialised, not yet given a tree role */

#define ESEPAGE_CTAG_RESERVED_MAX 7

/* One line (node) or reserved tag.  pb holds cbSuffix + cbData bytes (owned). */
typedef struct esepage_line {
    uint32_t fFlags;      /* ESEPAGE_ND_* (reserved tags: the raw flag bits of the tag, small pages only) */
    uint32_t cbPrefix;    /* key bytes taken from tag 0's data (compressed lines only) */
    uint32_t cbSuffix;    /* key bytes stored in the node */
    uint32_t cbData;
    uint8_t *pb;          /* suffix, then data; NULL when both are empty */
} esepage_line;

typedef struct esepage {
    uint32_t cbPage;      /* 4096, 8192, 16384 or 32768 */
    uint32_t cbHeader;    /* 40 or 80 */
    int      fSmall;      /* cbPage <= 8192 */
    uint32_t pgno;        /* the page's number (used by the checksum) */
    /* header fields */
    uint64_t dbtime;      /* dbtimeDirtied @8 */
    uint32_t pgnoPrev, pgnoNext;
    uint32_t objidFDP;
    uint32_t cbUncommittedFree;
    uint32_t fFlags;      /* page flags @36, all 32 bits (flush-type and checksum-format bits included) */
    uint32_t ctagReservedStored; /* the 3-bit count as stored (0 on legacy pages) */
    uint8_t  rgbHeader[80]; /* the header as decoded (E3); checksums, cbFree, ibMicFree, itagState are
                           * recomputed by esepage_encode */
    /* reserved tags: rgreserved[0] is tag 0 (external header / key prefix); its data is
     * pb[0..cbData) (cbSuffix is always 0 for reserved tags: they are raw bytes) */
    esepage_line rgreserved[ESEPAGE_CTAG_RESERVED_MAX];
    uint32_t ctagReserved;  /* reserved tags present: 0 on a blank or pre-init page (no tags at all),
                             * else max(1, ctagReservedStored) */
    /* lines */
    esepage_line *rgline;
    uint32_t      cline, clineMax;
    uint8_t       bFreeFill; /* the byte esepage_encode fills the free space with: 0, or what a Scrub
                              * wrote there ('Z' / 'U'); decoding sets 0 */
} esepage;

/* Decode cbPage raw bytes of page pgno into *pp (which must be zeroed or
 * freed).  The checksum is not verified here (esefmt_page_verify does that).
 * An all-zero page decodes as a page with no tags (ctagReserved 0, dbtime 0);
 * inserting a line or setting tag 0 on such a page first adds an empty tag 0
 * (as ESE does when it first uses a pre-initialised page).  JET_errDatabaseCorrupted when a tag or node lies outside
 * the data area; JET_errOutOfMemory.  On error *pp is left freed (zeroed). */
JET_ERR esepage_decode(const uint8_t *pb, uint32_t cbPage, uint32_t pgno, esepage *pp);

/* Release what *pp owns and zero it. */
void    esepage_free(esepage *pp);

/* Deep copy (pDst must be zeroed or freed). */
JET_ERR esepage_copy(esepage *pDst, const esepage *pSrc);

/* Format *pp as a new empty page: no lines, tag 0 present and empty,
 * pgnoPrev/Next 0, the given objid, dbtime and page flags (ESEPAGE_PG_NEWCHK
 * is added: new pages use ECC).  fPageFlags == ESEPAGE_PG_PREINIT gives a
 * pre-initialised page as NewPage leaves it (no tags at all).  Frees what
 * *pp held. */
JET_ERR esepage_format(esepage *pp, uint32_t cbPage, uint32_t pgno, uint32_t objidFDP, uint64_t dbtime,
                       uint32_t fPageFlags);

/* Encode *pp into cbPage bytes at pb with its checksum (ECC when the page has
 * ESEPAGE_PG_NEWCHK or is large, else XOR with the pgno).  E2. */
JET_ERR esepage_encode(const esepage *pp, uint8_t *pb);

/* Bytes the encoded content needs (data area + tags); the page holds it iff
 * <= cbPage - cbHeader. */
uint32_t esepage_cb_used(const esepage *pp);

/* Insert a node at iline (0..cline) from the full key as a log record gives
 * it: cbPrefix of the key's bytes are shared with tag 0's data (the node is
 * then stored compressed, only the rest as suffix), data follows.  fFlags:
 * ESEPAGE_ND_VERSION / _DELETED (the compressed flag follows cbPrefix).
 * JET_errInvalidParameter for a bad iline, JET_errDatabaseCorrupted when
 * cbPrefix exceeds the key or tag 0's data. */
JET_ERR esepage_insert(esepage *pp, uint32_t iline, const uint8_t *pbKey, uint32_t cbKey, uint32_t cbPrefix,
                       const uint8_t *pbData, uint32_t cbData, uint32_t fFlags);

/* Insert a line exactly as given (prefix count, suffix, data, flags), e.g.
 * a line moved from another page. */
JET_ERR esepage_insert_line(esepage *pp, uint32_t iline, const esepage_line *pline);

/* Replace the data of line iline (key unchanged). */
JET_ERR esepage_replace_data(esepage *pp, uint32_t iline, const uint8_t *pbData, uint32_t cbData);

/* Set then clear node flags of line iline (ESEPAGE_ND_VERSION / _DELETED;
 * the compressed flag cannot be changed here). */
JET_ERR esepage_set_flags(esepage *pp, uint32_t iline, uint32_t fSet, uint32_t fClear);

/* Remove line iline. */
JET_ERR esepage_delete(esepage *pp, uint32_t iline);

/* Replace tag 0's data (external header; the key prefix on non-root pages).
 * Compressed lines keep their cbPrefix (E1 is checked at encode). */
JET_ERR esepage_set_external_header(esepage *pp, const uint8_t *pb, uint32_t cb);

/* The full key of line iline (prefix from tag 0, then suffix) into pbKey
 * (cbMax bytes); *pcbKey = its length even when it does not fit
 * (JET_wrnBufferTruncated). */
JET_ERR esepage_key(const esepage *pp, uint32_t iline, uint8_t *pbKey, uint32_t cbMax, uint32_t *pcbKey);

/* Data of line iline (pointer into the page model, valid until it changes). */
JET_ERR esepage_data(const esepage *pp, uint32_t iline, const uint8_t **ppb, uint32_t *pcb);

/* Logical comparison of two pages: header fields (dbtime, links, objid,
 * flags with the flush-type bits masked), tag 0, then every line's flags,
 * full key and data.  Returns 0 if equal, else the 1-based index of the first
 * difference: 1 header, 2 tag 0 / reserved tags, 3 line count, 100 + iline
 * a line (*piline receives the line when not NULL). */
int     esepage_compare(const esepage *a, const esepage *b, uint32_t *piline);

#endif /* ESEPY_ESEPAGE_H */
