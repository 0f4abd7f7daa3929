/*
 * esesplit.h -- structure changes of Windows ESE B+trees replayed from the
 * log: Split2, Merge2, PageMove, root moves and Scrub (esesplit.c), and the
 * rebuild of pages from the logs alone (eserebuild.c, EsepyEseRebuildPages in
 * esepy_ese.h).
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

/* Sort the records of a split or merge macro (an eseredo_buf, eseredo.h).
 * Refusals: JET_errFeatureNotAvailable for a PageMove or another record
 * inside the macro, or a Merge2 of a type ESE never logs (EmptyTree 4,
 * PageMove 7: it logs those operations as EmptyTree and PageMove records);
 * JET_errLogCorrupted for a record that does not decode or a macro mixing
 * splits and merges.  szWhy receives the sentence, precBad the
 * record.  Root-move macros (RootPageMove first) go to their own path in
 * esesplit_redo_macro. */
JET_ERR esesplit_collect(const eseredo_buf *pbuf, esesplit_macro *pm, char *szWhy, size_t cbWhy);

/* ---- page moves (PageMove 65, RootPageMove 96) and Scrub (64) ------------------------ */

#define ESESPLIT_MOVE_ROOTFDP 0x1u   /* the tree's root (FDP) page */
#define ESESPLIT_MOVE_ROOTOE  0x2u   /* the root of its owned-extent tree */
#define ESESPLIT_MOVE_ROOTAE  0x4u   /* the root of its available-extent tree */

/* A PageMove record (reference §2.3, ESE LRPAGEMOVE): the source page moves
 * to pgnoDest; the image is the source page as ESE logged it, the header
 * part (page header and lines, packed) then the trailer part (the tag
 * array), the free middle left out. */
typedef struct {
    const ESEPY_ESE_LOGRECORD *prec;
    uint32_t pgno, pgnoDest, pgnoLeft, pgnoRight, pgnoParent, pgnoFDP, objidFDP;
    uint64_t dbtime, dbtimeBefore, dbtimeLeftBefore, dbtimeRightBefore, dbtimeParentBefore;
    int32_t  ilineParent;
    uint32_t fMoveFlags;                           /* ESESPLIT_MOVE_ROOT*: 0 for a page of a tree */
    const uint8_t *pbHeader; uint32_t cbHeader;
    const uint8_t *pbTrailer; uint32_t cbTrailer;
} esesplit_pagemove;

/* The pages a page move changes (NULL: it does not change). */
typedef struct {
    esepage *pSrc;      /* emptied */
    esepage *pDest;     /* must hold the source's content already (esesplit_pagemove_dest) */
    esepage *pParent;   /* its pointer at ilineParent goes from the source to the destination */
    esepage *pLeft;     /* pgnoNext := destination */
    esepage *pRight;    /* pgnoPrev := destination */
} esesplit_move_pages;

/* Decode a PageMove record: JET_errLogCorrupted when sizes do not add up,
 * a move flag is unknown or more than one root flag is set, a page of a
 * tree (no root flag) has no parent, or source and destination coincide. */
JET_ERR esesplit_parse_pagemove(const ESEPY_ESE_LOGRECORD *prec, esesplit_pagemove *pmv);

/* The destination page of a move: the logged image rebuilt (header part,
 * zeroed middle, trailer part: cbPage bytes), decoded as page pgnoDest,
 * dbtime dbtimeAfter, the pre-init flag cleared (ESE takes a pre-initialised
 * page into use).  JET_errLogCorrupted when the image is not cbPage bytes
 * or does not decode. */
JET_ERR esesplit_pagemove_dest(const esesplit_pagemove *pmv, uint32_t cbPage, esepage *pp);

/* The source as it was before the move (the logged image, page pgno, dbtime
 * dbtimeBefore): ESE reverts the source to it when the destination needs the
 * move and the source already has it. */
JET_ERR esesplit_pagemove_source(const esesplit_pagemove *pmv, uint32_t cbPage, esepage *pp);

/* Apply a move to the pages given: the source emptied (its tag 0 cleared,
 * no lines, the empty flag), the parent's pointer, the siblings' links.
 * JET_errDatabaseCorrupted (szWhy) when the parent's line ilineParent does
 * not point to the source. */
JET_ERR esesplit_pagemove_apply(const esesplit_pagemove *pmv, esesplit_move_pages *pg, char *szWhy, size_t cbWhy);

/* Scrub (ESE LRSCRUB: flags u32 @44, scrub operations u32 @48, data size u16
 * @52, then one operation byte per line and padding). */
#define ESESPLIT_SCRUB_UNUSEDPAGE 0x1u
#define ESESPLIT_SCRUBOP_NONE     0
#define ESESPLIT_SCRUBOP_DATA     1   /* the line's data filled with 'D', its version flag cleared */
#define ESESPLIT_SCRUBOP_LVDATA   2   /* a long-value chunk: byte 0x20 (scheme "scrubbed"), then 'L' */
#define ESESPLIT_SCRUB_FILL_USED   'Z' /* the free space of a scrubbed page in use */
#define ESESPLIT_SCRUB_FILL_UNUSED 'U' /* the free space of a scrubbed unused page */

typedef struct {
    const ESEPY_ESE_LOGRECORD *prec;
    uint32_t fScrub, cop;
    const uint8_t *rgop;
} esesplit_scrub;

JET_ERR esesplit_parse_scrub(const ESEPY_ESE_LOGRECORD *prec, esesplit_scrub *ps);
/* Scrub one page: an unused page loses every line; a page in use gets its
 * operations line by line (their count must equal the page's lines:
 * JET_errDatabaseCorrupted); the free space is then filled as ESE fills it.
 * JET_errLogCorrupted for an unknown operation. */
JET_ERR esesplit_scrub_apply(const esesplit_scrub *ps, esepage *pp, char *szWhy, size_t cbWhy);

/* Replay one PageMove record outside a macro (eseredo_apply hands it over). */
JET_ERR esesplit_redo_pagemove(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec);

#endif /* ESEPY_ESESPLIT_H */
