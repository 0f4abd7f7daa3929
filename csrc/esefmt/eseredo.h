/*
 * eseredo.h -- page redo of a Windows ESE database during recovery
 * (eserecover.c drives it; esesplit.c and eseundo.c build on it).
 *
 * Owns: the bounded page cache of the output copy (decoded esepage frames,
 * pinned while used, dirty frames written back to the temporary output
 * copy), the dbtime rule of reference §3.3 for every page a record names,
 * the redo of node and page records (§2.3), macro buffering, and the
 * version-store hook through which versioned redo reports what undo needs.
 * Must not touch: the input database and the logs (read-only), the session
 * and attach decisions (eserecover.c), splits and merges (esesplit.c: the
 * dispatcher hands them over), the version store itself (eseundo.c, through
 * the hook).
 *
 * The output copy: nothing is written until a page is changed.  The first
 * write-back creates the temporary file named at eseredo_open as a copy of
 * the input, and every later read of a page not in the cache comes from it.
 * The caller renames it into place after its own checks (eserecover.c R1)
 * or deletes it on any error.
 */
#ifndef ESEPY_ESEREDO_H
#define ESEPY_ESEREDO_H

#include <stdarg.h>

#include "esefmt_int.h"
#include "esepage.h"

typedef struct eseredo eseredo;

#define ESEREDO_DBTIME_NIL 0xFFFFFFFFFFFFFFFFull

/* ---- the version-store hook (eseundo) ------------------------------------- */

/* What a versioned record did (ESEREDO_VERSION.op) */
#define ESEREDO_VER_INSERT            1  /* Insert: undo flag-deletes the node */
#define ESEREDO_VER_FLAGINSERT        2  /* FlagInsert: undo sets the deleted flag again */
#define ESEREDO_VER_FLAGINSERTREPLACE 3  /* FlagInsertAndReplaceData: flag and before-image */
#define ESEREDO_VER_REPLACE           4  /* Replace / ReplaceD: before-image */
#define ESEREDO_VER_FLAGDELETE        5  /* FlagDelete: undo clears the flag */
#define ESEREDO_VER_DELTA             6  /* Delta (32-bit) */
#define ESEREDO_VER_DELTA64           7  /* Delta64 */

typedef struct {
    uint32_t op;                    /* ESEREDO_VER_* */
    const ESEPY_ESE_LOGRECORD *prec;/* the record (valid during the call only) */
    uint32_t procid, rceid, rceidReplace, level, trxBegin0;
    uint32_t dbid, pgno, iline, pgnoFDP, objidFDP;
    uint64_t dbtime;
    int      fRedone;               /* the page needed the change and got it now; 0: the page already had it
                                     * (Replace/FlagDelete/FlagInsertAndReplaceData versions are then
                                     * "deferred": an UndoInfo record supplies the before-image) */
    const uint8_t *pbKey;           /* the node's full key (bookmark): from the record, else from the page
                                     * when the page needed redo; NULL if unknown */
    uint32_t cbKey;
    const uint8_t *pbBefore;        /* Replace*: the node's data before the change (fRedone only) */
    uint32_t cbBefore;
    int64_t  delta;                 /* Delta / Delta64 */
    uint32_t ibOffset;
} ESEREDO_VERSION;

/* Called for every versioned record of a session inside the attached window,
 * whether or not its page needed redo.  A negative return stops recovery. */
typedef JET_ERR (*ESEREDO_PFNVERSION)(void *pvContext, const ESEREDO_VERSION *pver);

/* ---- a buffered record (macros) --------------------------------------------- */

/* A record copied out of the log reader's memory: rec's pointers (pb, pbKey,
 * pbData, pbImage) point into pbOwned (szPath is dropped). */
typedef struct {
    ESEPY_ESE_LOGRECORD rec;
    uint8_t            *pbOwned;
} eseredo_rec;

typedef struct {
    eseredo_rec *rgrec;
    uint32_t     crec, crecMax;
} eseredo_buf;

JET_ERR eseredo_buf_add(eseredo_buf *pbuf, const ESEPY_ESE_LOGRECORD *prec);
void    eseredo_buf_clear(eseredo_buf *pbuf);   /* empty, keeps the array */
void    eseredo_buf_free(eseredo_buf *pbuf);

/* ---- life cycle ------------------------------------------------------------------ */

/* pdb: the input, opened by the caller (read through its file, never
 * written); szTmp: the temporary output copy to create on the first write
 * (must not exist); lGenMaxRequired: the header's initial required range
 * (§3.3 rule 4); pinfo: where refusals are described (as eserecover's
 * refuse()). */
JET_ERR eseredo_open(ESEPY_ESE_FILE *pdb, const char *szDatabase, const char *szTmp, int32_t lGenMaxRequired,
                     ESEPY_ESE_RECOVERINFO *pinfo, eseredo **ppr);
/* Frees everything; the temporary file is left to the caller (it knows
 * whether to rename or delete it). */
void    eseredo_close(eseredo *pr);
void    eseredo_set_version_hook(eseredo *pr, ESEREDO_PFNVERSION pfn, void *pvContext);
/* Write every dirty page and the file size (ExtendDB) to the temporary copy
 * and fsync it.  No-op when nothing was changed. */
JET_ERR eseredo_flush(eseredo *pr);
/* Whether the temporary copy exists (a page or the size was changed). */
int     eseredo_has_output(const eseredo *pr);
/* Pages changed / records that needed redo (statistics). */
uint64_t eseredo_pages_redone(const eseredo *pr);

/* ---- pages ------------------------------------------------------------------------- */

/* The page pgno, decoded and pinned (until eseredo_page_release).  A page
 * past the end of the file or all zero decodes as an empty page of dbtime 0
 * (*pfBlank = 1 when not NULL).  JET_errReadVerifyFailure when its checksum
 * fails; JET_errDatabaseCorrupted when it does not decode. */
JET_ERR eseredo_page_get(eseredo *pr, uint32_t pgno, esepage **ppp, int *pfBlank);
/* Unpin; fDirty: the page changed (it is written back later). */
void    eseredo_page_release(eseredo *pr, esepage *pp, int fDirty);

/* The dbtime rule (§3.3) for page pgno named by prec with dbtimeBefore
 * (ESEREDO_DBTIME_NIL: not checked), grbit ESEREDO_CHECK_*.
 * Returns 1 when the page needs the change (*ppp pinned, its dbtime not yet
 * stamped: call eseredo_page_done), 0 when it already has it (nothing
 * pinned), or a refusal (JET_errDbTimeTooOld, JET_errDbTimeTooNew,
 * JET_errDbTimeBeyondMaxRequired, read errors) with pinfo filled.  Inside a
 * macro (eseredo_macro_begin) the decision for a page is taken on its first
 * use and kept until the macro ends. */
#define ESEREDO_CHECK_NEW 0x1 /* a new page: only the "after" dbtime matters (§3.3 rule 6) */
JET_ERR eseredo_check(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, uint64_t dbtimeBefore,
                      uint32_t grbit, esepage **ppp);
/* Stamp the page changed by prec (page.dbtime = prec->dbtime), mark it dirty
 * and unpin it. */
void    eseredo_page_done(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, esepage *pp);

/* Describe a refusal in pi (err, the record's type, position and dbtimes,
 * the page, the reason formatted from fmt) and return err: the one way
 * refusals are filled in (eseredo_fail, eserecover.c's refuse). */
JET_ERR eseredo_vrefuse(ESEPY_ESE_RECOVERINFO *pi, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno,
                        const char *fmt, va_list ap);
/* Describe a refusal in pinfo (record, page, reason) and return err. */
JET_ERR eseredo_fail(eseredo *pr, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- page references ---------------------------------------------------------------- */

/* One page a record names, with the dbtime it must carry before the change
 * (ESEREDO_DBTIME_NIL: not checked) or fNew for a page the record formats. */
typedef struct {
    uint32_t pgno;
    uint64_t dbtimeBefore;
    int      fNew;
} eseredo_pageref;

/* The pages a page-oriented record names (reference §2.4); fills at most
 * crgMax entries of rg and returns how many there are (EmptyTree lists
 * included), or -1 when the record is not page-oriented. */
int     eseredo_page_refs(const ESEPY_ESE_LOGRECORD *prec, eseredo_pageref *rg, int crgMax);

/* The stage-1 proof for a record whose redo is not implemented: every page
 * it names must already carry it (dbtime rule); otherwise recovery stops
 * naming the record (JET_errFeatureNotAvailable) or the dbtime error. */
JET_ERR eseredo_verify_only(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec);

/* The output's header pages: write pbHdr (cbPage bytes) to both header
 * positions of the temporary copy, fsync and close it.  Only after
 * eseredo_flush, when eseredo_has_output. */
JET_ERR eseredo_finish(eseredo *pr, const uint8_t *pbHdr);
/* Data pages of the output (the input's, or what ExtendDB made it). */
uint32_t eseredo_cpg(const eseredo *pr);

/* ---- the dispatcher ------------------------------------------------------------------ */

/* Redo one page record of the attached database, inside the window
 * (eserecover.c R3 decided that).  Records it does not implement stop
 * recovery by name (JET_errFeatureNotAvailable).  PageMove and Scrub go to
 * esesplit.c. */
JET_ERR eseredo_apply(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec);
/* Replay the records buffered in one macro (MacroCommit), in order: when the
 * macro holds a Split2, Merge2, PageMove or RootPageMove the whole list goes to
 * esesplit_redo_macro, else each record to eseredo_apply with the macro's
 * per-page decisions. */
JET_ERR eseredo_apply_macro(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro);
/* ExtendDB: the file grows to pgnoLast data pages ((pgnoLast + 2) pages with
 * the header pair). */
JET_ERR eseredo_extend(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgnoLast);

/* Macro state used by eseredo_check (per-page decisions) */
void    eseredo_macro_begin(eseredo *pr, uint64_t dbtimeMacro);
void    eseredo_macro_end(eseredo *pr);

/* Report a versioned record replayed outside eseredo_apply (the operation
 * inside a split macro, esesplit.c) to the version hook, if any: fRedone as
 * in ESEREDO_VERSION, the key from the record, pbBefore the node's data
 * before a Replace / FlagInsertAndReplaceData (NULL if unknown). */
JET_ERR eseredo_report_version(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, int fRedone, const uint8_t *pbBefore,
                               uint32_t cbBefore);

/* The after-image of a ReplaceD diff (DIFFHDR entries, or DIFFHDR2 when
 * fDiff2) applied to cbOld bytes of old data, into pbNew (cbNewMax bytes).
 * JET_errLogCorrupted when the diff does not fit the old data or the buffer. */
JET_ERR eseredo_after_image(const uint8_t *pbDiff, uint32_t cbDiff, int fDiff2, const uint8_t *pbOld, uint32_t cbOld,
                            uint8_t *pbNew, uint32_t cbNewMax, uint32_t *pcbNew);

/* The change one node record (Insert, FlagInsert, FlagInsertAndReplaceData,
 * FlagDelete, Replace, ReplaceD, Delete, Delta, Delta64, SetExternalHeader)
 * makes to its page, no dbtime rule and no stamping: recovery (node records
 * under the dbtime rule) and the rebuild from the logs (eserebuild.c) both
 * apply records through it.  pbScratch: cbScratch bytes (2 pages) for
 * after-images.  On failure szWhy receives the end of a sentence that
 * follows "<record> at <lgpos>" (empty when the page model refused the
 * change), and the page may be half changed (the caller discards it).
 * JET_errFeatureNotAvailable for another record type. */
JET_ERR eseredo_node_change(esepage *pp, const ESEPY_ESE_LOGRECORD *prec, uint8_t *pbScratch, uint32_t cbScratch,
                            char *szWhy, size_t cbWhy);

/* ---- esesplit.c (Split2, Merge2, PageMove, root moves, Scrub) ---------------------- */

/* Replay one committed macro holding structure changes (a split, a merge, or
 * a root move: RootPageMove first). */
JET_ERR esesplit_redo_macro(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro);

#endif /* ESEPY_ESEREDO_H */
