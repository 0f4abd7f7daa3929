/*
 * esesplit.h -- structure changes of Windows ESE B+trees replayed from the
 * log: Split2 and Merge2 (esesplit.c), and the rebuild of pages from the
 * logs alone (eserebuild.c, EsepyEseRebuildPages in esepy_ese.h).
 *
 * Owns: the decoding of the Split2 / Merge2 records (reference
 * ese-log-format.md §2.3), the before-images they carry (XPRESS, then
 * rehydration), and the split and merge algorithms run on page models
 * (esepage.h) from the logged decision.  The algorithms take the pages that
 * change as arguments and never read or write a file; which pages change is
 * the caller's decision: recovery decides by the dbtime rule (eseredo.h,
 * esesplit_redo_macro), the rebuild by what it knows from the logs.
 * Must not touch: files, the log reader's state, the version store.
 *
 * What the logs give and what is recomputed: a Split2 names the split page,
 * the new page, the right sibling and the parent, the split type, the line
 * where the moved lines start (ilineSplit), the line count after the pending
 * operation (clines), the page flags, the prefixes old and new of the split
 * page, which line's key becomes the new page's prefix, and the separator key
 * for the parent.  The moved lines themselves are not logged: they are read
 * from the split page as it was before the split (the page in the cache, or
 * the before-image).  Levels are logged top-down; the leaf level is last.
 */
#ifndef ESEPY_ESESPLIT_H
#define ESEPY_ESESPLIT_H

#include "eseredo.h"

#define ESESPLIT_TYPE_VERTICAL 0
#define ESESPLIT_TYPE_RIGHT    1
#define ESESPLIT_TYPE_APPEND   2

#define ESESPLIT_OPER_NONE     0
#define ESESPLIT_OPER_INSERT   1
#define ESESPLIT_OPER_REPLACE  2
#define ESESPLIT_OPER_FIARD    3  /* FlagInsertAndReplaceData */

#define ESESPLIT_MERGE_EMPTYPAGE    1
#define ESESPLIT_MERGE_FULLRIGHT    2
#define ESESPLIT_MERGE_PARTIALRIGHT 3
#define ESESPLIT_MERGE_EMPTYTREE    4
#define ESESPLIT_MERGE_FULLLEFT     5
#define ESESPLIT_MERGE_PARTIALLEFT  6
#define ESESPLIT_MERGE_PAGEMOVE     7

#define ESESPLIT_IMAGE_DEHYDRATED 0x1u
#define ESESPLIT_IMAGE_XPRESS     0x2u

#define ESESPLIT_LEVELS_MAX 16

/* One logged level of a split (a Split2 record). */
typedef struct {
    const ESEPY_ESE_LOGRECORD *prec;
    uint32_t pgno, pgnoNew, pgnoRight, pgnoParent, pgnoFDP, objidFDP;
    uint64_t dbtime, dbtimeBefore, dbtimeRightBefore, dbtimeParentBefore;
    uint32_t splittype, splitoper;
    uint32_t ilineOper, ilineSplit, clines;
    uint32_t fNewPageFlags, fSplitPageFlags;
    int32_t  cbUncFreeSrc, cbUncFreeDest;
    int32_t  ilinePrefixSplit, ilinePrefixNew;   /* -1: no prefix */
    const uint8_t *pbKeyParent; uint32_t cbKeyParent;
    const uint8_t *pbPrefixOld; uint32_t cbPrefixOld;
    const uint8_t *pbPrefixNew; uint32_t cbPrefixNew;
    uint32_t fImage;                              /* ESESPLIT_IMAGE_* */
    const uint8_t *pbImage; uint32_t cbImage;     /* before-image of the split page, as logged (0: none) */
} esesplit_split;

/* One logged level of a merge (a Merge2 record). */
typedef struct {
    const ESEPY_ESE_LOGRECORD *prec;
    uint32_t pgno, pgnoRight, pgnoLeft, pgnoParent, pgnoFDP, objidFDP;
    uint64_t dbtime, dbtimeBefore, dbtimeRightBefore, dbtimeLeftBefore, dbtimeParentBefore;
    uint32_t iline;                               /* this level's node (LRPAGE iline) */
    uint32_t cbSizeTotal, cbSizeMaxTotal, cbUncFreeDest, ilineMerge;
    uint32_t fMerge;                              /* 0x1 key change, 0x2 delete node, 0x4 empty page */
    uint32_t mergetype;
    const uint8_t *pbKeyParentSep; uint32_t cbKeyParentSep;
    uint32_t fImage;
    const uint8_t *pbImage; uint32_t cbImage;
} esesplit_merge;

#define ESESPLIT_MERGE_KEYCHANGE  0x1u
#define ESESPLIT_MERGE_DELETENODE 0x2u
#define ESESPLIT_MERGE_EMPTY      0x4u

/* The operation that caused a split, logged inside the macro (Insert,
 * Replace or FlagInsertAndReplaceData with dbtimeBefore = dbtimeNil). */
typedef struct {
    uint32_t       lrtyp;                        /* 0 when the split has no operation */
    const uint8_t *pbKey; uint32_t cbKey;        /* Insert / FIARD: the full key */
    const uint8_t *pbData; uint32_t cbData;
    int            fVersioned;
} esesplit_oper;

/* The pages one split level changes: NULL where the page does not change
 * (recovery: it already has the change; rebuild: it is not known).  pNew
 * must already be formatted (esesplit_format_new).  The split page may be a
 * before-image the caller discards afterwards. */
typedef struct {
    esepage *pPage;     /* the split page, or the parent receiving the separator (pgnoNew = 0) */
    esepage *pNew;
    esepage *pRight;
} esesplit_split_pages;

typedef struct {
    esepage *pPage;     /* the merged page (leaf), or this level's internal page */
    esepage *pLeft;     /* leaf level only */
    esepage *pRight;
} esesplit_merge_pages;

/* Decode a Split2 / Merge2 record (sizes checked: JET_errLogCorrupted). */
JET_ERR esesplit_parse_split(const ESEPY_ESE_LOGRECORD *prec, esesplit_split *ps);
JET_ERR esesplit_parse_merge(const ESEPY_ESE_LOGRECORD *prec, esesplit_merge *pm);

/* Whether the destination of a split / merge depends on lines moving from
 * the source page (then the record carries the source's before-image). */
int     esesplit_split_needs_image(const esesplit_split *ps);
int     esesplit_merge_needs_image(const esesplit_merge *pm);

/* The before-image as a full page (cbPage bytes at pbOut): copied, or
 * XPRESS-decompressed (scheme byte 0x18, u16 size, stream) and then
 * rehydrated (tag array moved to the page end).  JET_errDecompressionFailed
 * for a damaged or unknown encoding. */
JET_ERR esesplit_image(const uint8_t *pbImage, uint32_t cbImage, uint32_t fImage, uint32_t cbPage, uint8_t *pbOut);

/* Format the new page of a split level: an empty page of the level's objid,
 * the given dbtime and the logged new-page flags; ctagReservedStored is the
 * 3-bit reserved-tag count as the database's format stores it (0 before the
 * formats that count reserved tags; take it from the split page). */
JET_ERR esesplit_format_new(const esesplit_split *ps, uint32_t cbPage, uint64_t dbtime, uint32_t ctagReservedStored,
                            esepage *pp);

/* Run the split of rglevel[0..clevel) (top-down, as logged) on the pages
 * given.  szWhy receives a sentence on failure (JET_errDatabaseCorrupted when
 * the pages do not fit the record, JET_errLogCorrupted for an impossible
 * record, JET_errOutOfMemory).  dbtimes are not stamped here. */
JET_ERR esesplit_split_apply(const esesplit_split *rglevel, uint32_t clevel, esesplit_split_pages *rgpages,
                             const esesplit_oper *poper, char *szWhy, size_t cbWhy);

/* Run the merge of rglevel[0..clevel) (top-down; the leaf level last). */
JET_ERR esesplit_merge_apply(const esesplit_merge *rglevel, uint32_t clevel, esesplit_merge_pages *rgpages,
                             char *szWhy, size_t cbWhy);

/* A committed structure macro, sorted: the Split2 levels and the operation,
 * or the Merge2 levels (each in log order, top-down). */
typedef struct {
    int            fMerge;
    uint32_t       clevel;
    esesplit_split rgsplit[ESESPLIT_LEVELS_MAX];
    esesplit_merge rgmerge[ESESPLIT_LEVELS_MAX];
    esesplit_oper  oper;
    const ESEPY_ESE_LOGRECORD *precOper;   /* NULL: the split has no operation record */
    const ESEPY_ESE_LOGRECORD *precBad;    /* the record a refusal is about */
} esesplit_macro;

/* Sort the records of a macro (an eseredo_buf, eseredo.h).  Refusals:
 * JET_errFeatureNotAvailable for PageMove, RootPageMove, a Merge2 of a type
 * not replayed, or another record inside the macro; JET_errLogCorrupted for
 * a record that does not decode or a macro mixing splits and merges.  szWhy
 * receives the sentence, precBad the record. */
JET_ERR esesplit_collect(const eseredo_buf *pbuf, esesplit_macro *pm, char *szWhy, size_t cbWhy);

#endif /* ESEPY_ESESPLIT_H */
