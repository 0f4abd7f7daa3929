/*
 * eserecover.c -- soft recovery of a database written by Windows' ESE onto a
 * copy, stage 1: the logs are read completely and the database is declared
 * clean only when nothing needs replaying (no page redo, no undo).
 *
 * Owns: the recovery decisions of docs/forensics-windows-ese.md ("Recovery"):
 * the attach state machine (attachment list at the redo start, AttachDB,
 * DetachDB, Init/Init2, Term/Term2, RecoveryQuit*, ShutDownMark,
 * SetDbVersion), session tracking (procid -> transaction level, Begin0 seen,
 * macros) that proves no transaction is left open, the proof that every page
 * record of the database is outside the attached window or already on its
 * page (page dbtime >= record dbtime), the dbtime / objid counters, and the
 * clean header written to both header copies of the output.
 * Reads through: the esefmt reader (EsepyEseOpen for header and pages, the
 * log chain reader EsepyEseLogChain* for records).  Writes through csrc/os,
 * and only: a new output file (temporary name, fsync, rename, folder fsync)
 * or, when the caller says the database is a copy (IN_PLACE), that file's two
 * header pages and the flush map beside it (deleted).
 * Must not touch: the input database and the log files and checkpoint (they
 * are opened read-only); any engine layer; global state.
 *
 * Invariants:
 *  R1 Nothing is written before every record up to the end of the logs has
 *     been read and every check has passed: a refusal leaves no file behind
 *     (the temporary copy is deleted on every error path).
 *  R2 A record changes the decision only for the database whose signDb the
 *     attachments carry (its dbid is taken from the latest attachment naming
 *     it); records of other databases only move session state.
 *  R3 A page record of the database is "in the window" iff the database is
 *     attached, the record lies after the attach position, its session has
 *     begun a level-0 transaction since the redo start and (inside a macro)
 *     the macro committed.  Every page it names must then carry a dbtime at
 *     or past the record's; otherwise recovery stops naming it.
 *  R4 Every versioned change inside the window builds a version in eseundo
 *     (through eseredo's version hook), Commit/Rollback/UndoInfo/Undo move
 *     them; at the end of the logs every session still in a transaction is
 *     rolled back through eseundo (its pages changed in the temporary output
 *     copy of eseredo, renamed into place only after every check: R1).  Sessions
 *     ending inside the logs (Init, Term, RecoveryQuit) drop their versions:
 *     the recovery that ran then logged its compensations as Undo records.
 *  R5 The header written is the input's valid header copy with only the
 *     fields of reference section 3.6 changed, and the same page goes to both
 *     copies with its XOR checksum recomputed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"
#include "eseundo.h"

#define HDR_CB        4096u
#define DBTIME_NIL    0xFFFFFFFFFFFFFFFFull
#define COPY_CB       (1u << 20)
#define TMP_SUFFIX    ".esepy-recover.tmp"

/* ---- small helpers ------------------------------------------------------------ */

static void put_lgpos(uint8_t *p, const ESEPY_ESE_LGPOS *pl)
{
    le_put16(p, pl->ib);
    le_put16(p + 2, pl->isec);
    le_put32(p + 4, (uint32_t)pl->lGeneration);
}

static int lgpos_zero(const ESEPY_ESE_LGPOS *p)
{
    return p->lGeneration == 0 && p->isec == 0 && p->ib == 0;
}

static int same_time(const ESEPY_ESE_TIME *a, const ESEPY_ESE_TIME *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->millisecond == b->millisecond;
}

static int same_sign(const ESEPY_ESE_SIGNATURE *a, const ESEPY_ESE_SIGNATURE *b)
{
    return a->ulRandom == b->ulRandom && same_time(&a->logtimeCreate, &b->logtimeCreate) &&
           strcmp(a->szComputerName, b->szComputerName) == 0;
}

/* An 8-byte LOGTIME of now (UTC), in ESE's encoding. */
static void logtime_now(uint8_t *p)
{
    JET_LOGTIME t;
    os_logtime_now(&t);
    unsigned ms = (unsigned)t.bMillisecondsLow | ((unsigned)t.bMillisecondsHigh << 7);
    p[0] = (uint8_t)t.bSeconds;
    p[1] = (uint8_t)t.bMinutes;
    p[2] = (uint8_t)t.bHours;
    p[3] = (uint8_t)t.bDay;
    p[4] = (uint8_t)t.bMonth;
    p[5] = (uint8_t)t.bYear;
    p[6] = (uint8_t)(1u | ((ms & 0x7Fu) << 1));
    p[7] = (uint8_t)(((ms >> 7) & 7u) << 1);
}

/* ---- state ---------------------------------------------------------------------- */

enum { DB_UNKNOWN, DB_DEFERRED, DB_ATTACHED, DB_DETACHED };

typedef struct {
    uint32_t        pgno;
    uint64_t        dbtimeBefore;   /* DBTIME_NIL when not checked against the page */
    int             fNew;           /* a new page: only the "after" dbtime matters */
    uint32_t        lrtyp;
    ESEPY_ESE_LGPOS lgpos;
    uint64_t        dbtime;
} rec_pageref;

typedef struct {
    uint32_t        procid;
    uint32_t        level;
    int             fAfterBegin0;   /* a level-0 Begin was seen since the redo start (or the last reset) */
    ESEPY_ESE_LGPOS lgposBegin0;
    uint32_t        trxBegin0;
    uint64_t        cuncommitted;   /* versioned changes to the attached database since Begin0 */
    uint32_t        lrtypFirst;     /* the first of them */
    ESEPY_ESE_LGPOS lgposFirst;
    uint32_t        pgnoFirst;
    int             fMacro;
    uint64_t        dbtimeMacro;
    rec_pageref    *rgpend;         /* page references buffered in the open macro */
    uint32_t        cpend, cpendMax;
    eseredo_buf     verbuf;         /* versioned records buffered in the open macro (for eseundo) */
} rec_session;

typedef struct {
    ESEPY_ESE_RECOVERINFO *pinfo;
    ESEPY_ESE_FILE  *pdb;           /* input, read-only */
    ESEPY_ESE_HEADER hdr;           /* decoded header of the input */
    uint8_t         *pbHdr;         /* the valid header copy, cbPage bytes (becomes the output header) */
    uint32_t         cbPage;

    int              state;         /* DB_* */
    uint32_t         dbid;          /* ours in the logs, 0 until an attachment names the database */
    ESEPY_ESE_LGPOS  lgposConsistent, lgposAttach; /* the header as recovery would have it now */
    ESEPY_ESE_LGPOS  lgposSDM;      /* last ShutDownMark */
    int              fHaveSDM;
    int              fLastIsSDM;    /* the last record that counts was a ShutDownMark */
    ESEPY_ESE_LGPOS  lgposCur;
    int32_t          lGenMaxRequiredInitial;
    uint64_t         dbtimeMax;
    uint32_t         objidMax;
    uint32_t         rgulVersion[3];/* header format version as SetDbVersion leaves it */

    rec_session     *rgsess;
    uint32_t         csess, csessMax;

    eseredo         *pr;            /* page cache of the output copy (undo changes pages through it) */
    eseundo         *pu;            /* the version store (R4) */
    char            *szTmp;         /* the output copy while it is written */
} rec_state;

static JET_ERR refuse(rec_state *r, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static JET_ERR refuse(rec_state *r, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, const char *fmt, ...)
{
    ESEPY_ESE_RECOVERINFO *pi = r->pinfo;
    pi->err = err;
    if (prec != NULL) {
        pi->lrtyp = prec->lrtyp;
        const char *sz = EsepyEseLrtypName(prec->lrtyp);
        snprintf(pi->szRecordType, sizeof(pi->szRecordType), "%s", sz ? sz : "?");
        pi->lgpos = prec->lgpos;
        pi->dbtimeRecord = prec->dbtime;
        pi->dbtimeBeforeRecord = prec->dbtimeBefore;
    }
    pi->pgno = pgno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pi->szReason, sizeof(pi->szReason), fmt, ap);
    va_end(ap);
    return err;
}

static rec_session *session(rec_state *r, uint32_t procid)
{
    for (uint32_t i = 0; i < r->csess; i++)
        if (r->rgsess[i].procid == procid)
            return &r->rgsess[i];
    if (r->csess == r->csessMax) {
        uint32_t c = r->csessMax ? 2 * r->csessMax : 16;
        rec_session *rg = os_realloc(r->rgsess, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return NULL;
        r->rgsess = rg;
        r->csessMax = c;
    }
    rec_session *ps = &r->rgsess[r->csess++];
    memset(ps, 0, sizeof(*ps));
    ps->procid = procid;
    return ps;
}

/* ---- the page proof (R3) -------------------------------------------------------- */

static JET_ERR check_page(rec_state *r, const ESEPY_ESE_LOGRECORD *prec, const rec_pageref *pref)
{
    ESEPY_ESE_RECOVERINFO *pi = r->pinfo;
    const char *szType = EsepyEseLrtypName(pref->lrtyp);
    char szPos[48];
    snprintf(szPos, sizeof(szPos), "(%d,%u,%u)", pref->lgpos.lGeneration, pref->lgpos.isec, pref->lgpos.ib);
    ESEPY_ESE_PAGEINFO page;
    JET_ERR err = EsepyEseGetPageInfo(r->pdb, pref->pgno, &page);
    if (err == JET_errFileIOBeyondEOF)
        return refuse(r, JET_errFeatureNotAvailable, prec, pref->pgno,
                      "%s at %s needs redo: page %u lies past the end of the database file (%u pages); "
                      "stage-1 recovery does not replay page changes", szType, szPos, pref->pgno, r->hdr.cpgData);
    if (err < 0)
        return refuse(r, err, prec, pref->pgno, "%s at %s: page %u cannot be read", szType, szPos, pref->pgno);
    if (page.status != ESEPY_ESE_PAGE_OK && page.status != ESEPY_ESE_PAGE_BLANK)
        return refuse(r, JET_errReadVerifyFailure, prec, pref->pgno,
                      "%s at %s names page %u, whose checksum fails: recovery cannot prove the change is on it",
                      szType, szPos, pref->pgno);
    uint64_t dbtimePage = page.status == ESEPY_ESE_PAGE_BLANK ? 0 : page.dbtimeDirtied;
    pi->dbtimePage = dbtimePage;
    if (pref->dbtime > dbtimePage) {
        if (!pref->fNew && pref->dbtimeBefore != DBTIME_NIL && dbtimePage < pref->dbtimeBefore)
            return refuse(r, JET_errDbTimeTooOld, prec, pref->pgno,
                          "%s at %s: page %u has dbtime %llu, older than the record's before-dbtime %llu "
                          "(a lost flush): the page is missing earlier changes", szType, szPos, pref->pgno,
                          (unsigned long long)dbtimePage, (unsigned long long)pref->dbtimeBefore);
        if (!pref->fNew && pref->dbtimeBefore != DBTIME_NIL && dbtimePage > pref->dbtimeBefore)
            return refuse(r, JET_errDbTimeTooNew, prec, pref->pgno,
                          "%s at %s: page %u has dbtime %llu, between the record's before-dbtime %llu and "
                          "its dbtime %llu", szType, szPos, pref->pgno, (unsigned long long)dbtimePage,
                          (unsigned long long)pref->dbtimeBefore, (unsigned long long)pref->dbtime);
        return refuse(r, JET_errFeatureNotAvailable, prec, pref->pgno,
                      "%s at %s needs redo: page %u has dbtime %llu, the record %llu; stage-1 recovery does "
                      "not replay page changes (the database is left as it is)", szType, szPos, pref->pgno,
                      (unsigned long long)dbtimePage, (unsigned long long)pref->dbtime);
    }
    if (pref->lgpos.lGeneration > r->lGenMaxRequiredInitial)
        return refuse(r, JET_errDbTimeBeyondMaxRequired, prec, pref->pgno,
                      "%s at %s: page %u already carries the change (dbtime %llu >= %llu) although the record "
                      "lies in generation %d, beyond the header's required range (up to %d)", szType, szPos,
                      pref->pgno, (unsigned long long)dbtimePage, (unsigned long long)pref->dbtime,
                      pref->lgpos.lGeneration, r->lGenMaxRequiredInitial);
    pi->cpageApplied++;
    return JET_errSuccess;
}

/* Page references of a page-changing record (dbid already known to be ours).
 * Returns the count written to rg (at most crgMax) or -1 if the record is
 * not page-oriented; EmptyTree lists are expanded. */
static int page_refs(const ESEPY_ESE_LOGRECORD *prec, rec_pageref *rg, int crgMax)
{
    int c = 0;
#define ADD(pg, before, fnew)                                                            \
    do {                                                                                 \
        if ((pg) != 0 && c < crgMax) {                                                   \
            rg[c].pgno = (pg);                                                           \
            rg[c].dbtimeBefore = (before);                                               \
            rg[c].fNew = (fnew);                                                         \
            rg[c].lrtyp = prec->lrtyp;                                                   \
            rg[c].lgpos = prec->lgpos;                                                   \
            rg[c].dbtime = prec->dbtime;                                                 \
            c++;                                                                         \
        }                                                                                \
    } while (0)
    switch (prec->lrtyp) {
    case ESEPY_ESE_LRTYP_INSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
    case ESEPY_ESE_LRTYP_FLAGDELETE:
    case ESEPY_ESE_LRTYP_REPLACE:
    case ESEPY_ESE_LRTYP_REPLACED:
    case ESEPY_ESE_LRTYP_DELETE:
    case ESEPY_ESE_LRTYP_DELTA:
    case ESEPY_ESE_LRTYP_DELTA64:
    case ESEPY_ESE_LRTYP_SETEXTERNALHEADER:
    case ESEPY_ESE_LRTYP_UNDO:
    case ESEPY_ESE_LRTYP_SCRUB:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_NEWPAGE:
    case ESEPY_ESE_LRTYP_CREATESEFDP:
        ADD(prec->pgno, DBTIME_NIL, 1);
        return c;
    case ESEPY_ESE_LRTYP_CREATEMEFDP:
        ADD(prec->pgno, DBTIME_NIL, 1);
        ADD(prec->pgnoNew, DBTIME_NIL, 1);   /* OE */
        ADD(prec->pgnoRight, DBTIME_NIL, 1); /* AE */
        return c;
    case ESEPY_ESE_LRTYP_CONVERTFDP2:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoNew, DBTIME_NIL, 1);
        ADD(prec->pgnoRight, DBTIME_NIL, 1);
        return c;
    case ESEPY_ESE_LRTYP_SPLIT2:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoNew, DBTIME_NIL, 1);
        ADD(prec->pgnoRight, prec->dbtimeRightBefore, 0);
        ADD(prec->pgnoParent, prec->dbtimeParentBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_MERGE2:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoRight, prec->dbtimeRightBefore, 0);
        ADD(prec->pgnoLeft, prec->dbtimeLeftBefore, 0);
        ADD(prec->pgnoParent, prec->dbtimeParentBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_PAGEMOVE:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoNew, DBTIME_NIL, 1);
        ADD(prec->pgnoLeft, prec->dbtimeLeftBefore, 0);
        ADD(prec->pgnoRight, prec->dbtimeRightBefore, 0);
        ADD(prec->pgnoParent, prec->dbtimeParentBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_EMPTYTREE: {
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        /* the list: {dbtimeBefore u64, pgno u32, flags u32} after the 46-byte fixed part */
        uint32_t cb = prec->cb;
        for (uint32_t ib = 46; ib + 16 <= cb; ib += 16)
            ADD(le_get32(prec->pb + ib + 8), le_get64(prec->pb + ib), 0);
        return c;
    }
    default:
        return -1;
    }
#undef ADD
}

#define REFS_MAX 1024 /* EmptyTree lists beyond this are refused */

/* A record whose change the version store must know (R4). */
static int versioned_record(const ESEPY_ESE_LOGRECORD *prec)
{
    if (!(prec->fPageFlags & 0x01u))
        return 0;
    switch (prec->lrtyp) {
    case ESEPY_ESE_LRTYP_INSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
    case ESEPY_ESE_LRTYP_FLAGDELETE:
    case ESEPY_ESE_LRTYP_REPLACE:
    case ESEPY_ESE_LRTYP_REPLACED:
    case ESEPY_ESE_LRTYP_DELTA:
    case ESEPY_ESE_LRTYP_DELTA64:
        return 1;
    default:
        return 0;
    }
}

/* A page-oriented record of our database (dbid matched). */
static JET_ERR page_record(rec_state *r, const ESEPY_ESE_LOGRECORD *prec)
{
    ESEPY_ESE_RECOVERINFO *pi = r->pinfo;
    rec_pageref rg[16];
    rec_pageref *prg = rg;
    int crgMax = 16;
    if (prec->lrtyp == ESEPY_ESE_LRTYP_EMPTYTREE && prec->cb > 46 + 16 * 15) {
        crgMax = REFS_MAX;
        if ((prec->cb - 46) / 16 + 1 > REFS_MAX)
            return refuse(r, JET_errFeatureNotAvailable, prec, prec->pgno,
                          "EmptyTree at (%d,%u,%u) lists more than %d pages", prec->lgpos.lGeneration,
                          prec->lgpos.isec, prec->lgpos.ib, REFS_MAX);
        prg = os_malloc(sizeof(*prg) * REFS_MAX);
        if (prg == NULL)
            return JET_errOutOfMemory;
    }
    int c = page_refs(prec, prg, crgMax);
    JET_ERR err = JET_errSuccess;
    if (c < 0)
        goto done;
    pi->cpageRecord += (uint64_t)c;

    rec_session *ps = session(r, prec->procid);
    if (ps == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    int fInWindow = r->state == DB_ATTACHED && EsepyEseCmpLgpos(&prec->lgpos, &r->lgposAttach) > 0 && ps->fAfterBegin0;
    if (!fInWindow) {
        pi->cpageOutside += (uint64_t)c;
        goto done;
    }
    /* versioned changes must be committed (R4) */
    if ((prec->fPageFlags & 0x01u) || prec->lrtyp == ESEPY_ESE_LRTYP_DELTA || prec->lrtyp == ESEPY_ESE_LRTYP_DELTA64) {
        if (ps->level > 0) {
            if (ps->cuncommitted++ == 0) {
                ps->lrtypFirst = prec->lrtyp;
                ps->lgposFirst = prec->lgpos;
                ps->pgnoFirst = prec->pgno;
            }
        }
    }
    if (ps->fMacro && prec->dbtime == ps->dbtimeMacro) {
        /* buffered until MacroCommit (MacroAbort drops them) */
        if (ps->cpend + (uint32_t)c > ps->cpendMax) {
            uint32_t cNew = ps->cpendMax ? ps->cpendMax : 16;
            while (cNew < ps->cpend + (uint32_t)c)
                cNew *= 2;
            rec_pageref *rgNew = os_realloc(ps->rgpend, (size_t)cNew * sizeof(*rgNew));
            if (rgNew == NULL) {
                err = JET_errOutOfMemory;
                goto done;
            }
            ps->rgpend = rgNew;
            ps->cpendMax = cNew;
        }
        memcpy(ps->rgpend + ps->cpend, prg, (size_t)c * sizeof(*prg));
        ps->cpend += (uint32_t)c;
        if (versioned_record(prec))
            err = eseredo_buf_add(&ps->verbuf, prec);
        goto done;
    }
    if (prec->lrtyp == ESEPY_ESE_LRTYP_UNDO) {
        /* a compensation logged during a rollback: redone by the dbtime rule (R4) */
        err = eseundo_redo_undo(r->pu, prec);
        goto done;
    }
    for (int i = 0; i < c && err >= 0; i++)
        err = check_page(r, prec, &prg[i]);
    if (err >= 0 && versioned_record(prec))
        err = eseredo_apply(r->pr, prec); /* the page has the change: redo only builds its version */
done:
    if (prg != rg)
        os_free(prg);
    return err;
}

/* ---- sessions ending (R4) --------------------------------------------------------- */

static void sessions_free(rec_state *r)
{
    for (uint32_t i = 0; i < r->csess; i++) {
        os_free(r->rgsess[i].rgpend);
        eseredo_buf_free(&r->rgsess[i].verbuf);
    }
    r->csess = 0;
}

/* Sessions end.  fEndOfLogs: the end of the logs -- every version still held
 * is rolled back (eseundo_end_all).  Otherwise (Init, Term, RecoveryQuit in
 * the middle of the logs) ESE's redo drops the versions without touching the
 * pages: the recovery that ran then logged the compensations as Undo
 * records, which were replayed already. */
static JET_ERR end_sessions(rec_state *r, int fEndOfLogs)
{
    ESEPY_ESE_RECOVERINFO *pi = r->pinfo;
    for (uint32_t i = 0; i < r->csess && fEndOfLogs; i++) {
        rec_session *ps = &r->rgsess[i];
        /* name the open transaction of the lowest procid in the report */
        if (ps->level > 0 && ps->fAfterBegin0 && ps->cuncommitted > 0 &&
            (pi->trxBegin0Undone == 0 || ps->procid < pi->procidUndone)) {
            pi->procidUndone = ps->procid;
            pi->lgposBegin0Undone = ps->lgposBegin0;
            pi->trxBegin0Undone = ps->trxBegin0;
        }
    }
    JET_ERR err = JET_errSuccess;
    if (r->pu != NULL) {
        if (fEndOfLogs)
            err = eseundo_end_all(r->pu, &r->dbtimeMax);
        else
            eseundo_discard_all(r->pu);
        ESEUNDO_STATS st;
        eseundo_stats(r->pu, &st);
        pi->cversion = st.cversion;
        pi->csessionUndone = st.csessionUndone;
        pi->cversionUndone = st.cundone;
        pi->cundoRecord = st.cundoRecord;
    }
    sessions_free(r);
    return err;
}

/* The database leaves the attached state cleanly (Term, RecoveryQuit, DetachDB):
 * ESE writes its header consistent at the last ShutDownMark. */
static JET_ERR detach(rec_state *r, const ESEPY_ESE_LOGRECORD *prec)
{
    if (!r->fHaveSDM || EsepyEseCmpLgpos(&r->lgposSDM, &r->lgposAttach) < 0)
        return refuse(r, JET_errFeatureNotAvailable, prec, 0,
                      "%s at (%d,%u,%u) detaches the database with no ShutDownMark since it was attached at "
                      "(%d,%u,%u): stage-1 recovery cannot tell its consistent position",
                      EsepyEseLrtypName(prec->lrtyp), prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib,
                      r->lgposAttach.lGeneration, r->lgposAttach.isec, r->lgposAttach.ib);
    r->lgposConsistent = r->lgposSDM;
    r->state = DB_DETACHED;
    r->pinfo->cdetach++;
    return JET_errSuccess;
}

/* ---- the attach decision ------------------------------------------------------------ */

/* fRecord: an AttachDB record at prec->lgpos; else an attachment list entry
 * at the redo start (init before redo). */
static JET_ERR attach_decision(rec_state *r, const ESEPY_ESE_LOGRECORD *prec, int fRecord, uint32_t dbid,
                               const ESEPY_ESE_LGPOS *plgposConsistentLogged, const ESEPY_ESE_LGPOS *plgposAttachLogged)
{
    r->dbid = dbid;
    r->pinfo->dbid = dbid;
    int c = lgpos_zero(&r->lgposConsistent) ? 0 : EsepyEseCmpLgpos(&r->lgposConsistent, plgposConsistentLogged);
    if (c == 0) {
        int a = EsepyEseCmpLgpos(&r->lgposAttach, plgposAttachLogged);
        if (a == 0 || (a < 0 && fRecord)) {
            r->state = DB_ATTACHED;
            r->lgposAttach = *plgposAttachLogged;
            r->pinfo->lgposAttachNow = *plgposAttachLogged;
            return JET_errSuccess;
        }
        if (a > 0) {
            r->state = DB_DEFERRED; /* attached in the future */
            return JET_errSuccess;
        }
        return refuse(r, JET_errAttachedDatabaseMismatch, prec, 0,
                      "the database header's attach position (%d,%u,%u) is older than the attachment at the redo "
                      "start (%d,%u,%u)", r->lgposAttach.lGeneration, r->lgposAttach.isec, r->lgposAttach.ib,
                      plgposAttachLogged->lGeneration, plgposAttachLogged->isec, plgposAttachLogged->ib);
    }
    if (c > 0 && (!fRecord || EsepyEseCmpLgpos(&r->lgposConsistent, &r->lgposCur) > 0)) {
        r->state = DB_DEFERRED; /* consistent in the future */
        return JET_errSuccess;
    }
    return refuse(r, JET_errConsistentTimeMismatch, prec, 0,
                  "the database's consistent position (%d,%u,%u) does not match the one the logs attached it "
                  "with (%d,%u,%u)", r->lgposConsistent.lGeneration, r->lgposConsistent.isec, r->lgposConsistent.ib,
                  plgposConsistentLogged->lGeneration, plgposConsistentLogged->isec, plgposConsistentLogged->ib);
}

/* ---- one record ----------------------------------------------------------------------- */

static void counters(rec_state *r, const ESEPY_ESE_LOGRECORD *prec)
{
    if (r->dbid == 0 || !(prec->fFields & ESEPY_ESE_LR_DBID) || prec->dbid != r->dbid)
        return;
    if ((prec->fFields & (ESEPY_ESE_LR_PAGE | ESEPY_ESE_LR_DBTIME)) && prec->dbtime != DBTIME_NIL &&
        prec->dbtime > r->dbtimeMax)
        r->dbtimeMax = prec->dbtime;
    if (prec->objidFDP > r->objidMax && prec->objidFDP != 0xFFFFFFFFu)
        r->objidMax = prec->objidFDP;
}

static JET_ERR one_record(rec_state *r, const ESEPY_ESE_LOGRECORD *prec)
{
    JET_ERR err = JET_errSuccess;
    uint32_t t = prec->lrtyp;
    r->lgposCur = prec->lgpos;
    r->pinfo->crecord++;
    int fOurs = r->dbid != 0 && (prec->fFields & ESEPY_ESE_LR_DBID) && prec->dbid == r->dbid;
    counters(r, prec);

    switch (t) {
    case ESEPY_ESE_LRTYP_NOP:
    case ESEPY_ESE_LRTYP_NOP2:
    case ESEPY_ESE_LRTYP_TRACE:
    case ESEPY_ESE_LRTYP_JETOP:
    case ESEPY_ESE_LRTYP_FORCEWRITELOG:
    case ESEPY_ESE_LRTYP_FORCELOGROLLOVER:
    case ESEPY_ESE_LRTYP_RECOVERYUNDO:
    case ESEPY_ESE_LRTYP_RECOVERYUNDO2:
    case ESEPY_ESE_LRTYP_FULLBACKUP:
    case ESEPY_ESE_LRTYP_INCBACKUP:
    case ESEPY_ESE_LRTYP_BACKUP:
    case ESEPY_ESE_LRTYP_BACKUP2:
        return JET_errSuccess; /* do not change "last record is a ShutDownMark" */
    case ESEPY_ESE_LRTYP_SHUTDOWNMARK:
        r->lgposSDM = prec->lgpos;
        r->fHaveSDM = 1;
        r->fLastIsSDM = 1;
        return JET_errSuccess;
    default:
        break;
    }
    r->fLastIsSDM = 0;

    switch (t) {
    case ESEPY_ESE_LRTYP_BEGIN:
    case ESEPY_ESE_LRTYP_BEGIN0:
    case ESEPY_ESE_LRTYP_BEGINDT: {
        rec_session *ps = session(r, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        ps->level = prec->level + prec->clevels;
        if (t != ESEPY_ESE_LRTYP_BEGIN) {
            ps->fAfterBegin0 = 1;
            ps->lgposBegin0 = prec->lgpos;
            ps->trxBegin0 = prec->trx;
            ps->cuncommitted = 0;
        }
        return JET_errSuccess;
    }
    case ESEPY_ESE_LRTYP_COMMIT:
    case ESEPY_ESE_LRTYP_COMMIT0: {
        rec_session *ps = session(r, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        ps->level = t == ESEPY_ESE_LRTYP_COMMIT0 ? 0 : prec->level;
        if (ps->level == 0)
            ps->cuncommitted = 0;
        eseundo_commit(r->pu, prec->procid, ps->level); /* Commit0 discards the session's versions */
        return JET_errSuccess;
    }
    case ESEPY_ESE_LRTYP_ROLLBACK: {
        rec_session *ps = session(r, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        ps->level = prec->level >= ps->level ? 0 : ps->level - prec->level;
        if (ps->level == 0)
            ps->cuncommitted = 0;
        /* the compensations were logged (Undo records, replayed already): the
         * versions of the levels rolled back are dropped, as ESE's redo does */
        if (ps->fAfterBegin0)
            eseundo_rollback(r->pu, prec->procid, ps->level);
        return JET_errSuccess;
    }
    case ESEPY_ESE_LRTYP_MACROBEGIN: {
        rec_session *ps = session(r, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        ps->fMacro = 1;
        ps->dbtimeMacro = prec->dbtime;
        ps->cpend = 0;
        eseredo_buf_clear(&ps->verbuf);
        return JET_errSuccess;
    }
    case ESEPY_ESE_LRTYP_MACROCOMMIT:
    case ESEPY_ESE_LRTYP_MACROABORT: {
        rec_session *ps = session(r, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        if (t == ESEPY_ESE_LRTYP_MACROCOMMIT && ps->fAfterBegin0)
            for (uint32_t i = 0; i < ps->cpend && err >= 0; i++)
                err = check_page(r, prec, &ps->rgpend[i]);
        if (err < 0 && r->pinfo->pgno != 0) {
            /* name the buffered record, not the MacroCommit */
            for (uint32_t i = 0; i < ps->cpend; i++)
                if (ps->rgpend[i].pgno == r->pinfo->pgno) {
                    const char *sz = EsepyEseLrtypName(ps->rgpend[i].lrtyp);
                    r->pinfo->lrtyp = ps->rgpend[i].lrtyp;
                    snprintf(r->pinfo->szRecordType, sizeof(r->pinfo->szRecordType), "%s", sz ? sz : "?");
                    r->pinfo->lgpos = ps->rgpend[i].lgpos;
                    r->pinfo->dbtimeRecord = ps->rgpend[i].dbtime;
                    r->pinfo->dbtimeBeforeRecord = ps->rgpend[i].dbtimeBefore;
                    break;
                }
        }
        /* the macro's versioned records: their pages hold them, redo builds their versions */
        if (t == ESEPY_ESE_LRTYP_MACROCOMMIT && ps->fAfterBegin0)
            for (uint32_t i = 0; i < ps->verbuf.crec && err >= 0; i++)
                err = eseredo_apply(r->pr, &ps->verbuf.rgrec[i].rec);
        ps->fMacro = 0;
        ps->cpend = 0;
        eseredo_buf_clear(&ps->verbuf);
        return err;
    }
    case ESEPY_ESE_LRTYP_INIT:
    case ESEPY_ESE_LRTYP_INIT2:
        /* a new instance: sessions end; an attached database stays attached */
        return end_sessions(r, 0);
    case ESEPY_ESE_LRTYP_TERM:
    case ESEPY_ESE_LRTYP_TERM2:
    case ESEPY_ESE_LRTYP_RECOVERYQUIT:
    case ESEPY_ESE_LRTYP_RECOVERYQUIT2:
    case ESEPY_ESE_LRTYP_RECOVERYQUITKEEPATTACHMENTS:
        err = end_sessions(r, 0);
        if (err >= 0 && r->state == DB_ATTACHED && t != ESEPY_ESE_LRTYP_RECOVERYQUITKEEPATTACHMENTS)
            err = detach(r, prec);
        return err;
    case ESEPY_ESE_LRTYP_ATTACHDB:
        if (!same_sign(&prec->signDb, &r->hdr.signDb))
            return JET_errSuccess; /* another database */
        if (r->state == DB_ATTACHED)
            return refuse(r, JET_errAttachedDatabaseMismatch, prec, 0,
                          "AttachDB at (%d,%u,%u) attaches the database again while it is attached",
                          prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib);
        return attach_decision(r, prec, 1, prec->dbid, &prec->lgposConsistent, &prec->lgpos);
    case ESEPY_ESE_LRTYP_DETACHDB:
        if (!fOurs)
            return JET_errSuccess;
        if (r->state == DB_ATTACHED)
            return detach(r, prec);
        r->state = DB_UNKNOWN; /* a deferred attachment goes away */
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_CREATEDB:
        if (same_sign(&prec->signDb, &r->hdr.signDb))
            return refuse(r, JET_errFeatureNotAvailable, prec, 0,
                          "CreateDB at (%d,%u,%u) creates this database: replaying its creation needs page redo",
                          prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib);
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_SETDBVERSION:
        if (fOurs && r->state == DB_ATTACHED) {
            const uint32_t *v = prec->rgulVersion;
            const uint32_t *h = r->rgulVersion;
            if (v[0] > h[0] || (v[0] == h[0] && (v[1] > h[1] || (v[1] == h[1] && v[2] > h[2]))))
                memcpy(r->rgulVersion, v, sizeof(r->rgulVersion));
        }
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_EXTENDDB:
        if (fOurs && r->state == DB_ATTACHED && EsepyEseCmpLgpos(&prec->lgpos, &r->lgposAttach) > 0 &&
            prec->pgnoLast > r->hdr.cpgData)
            return refuse(r, JET_errFeatureNotAvailable, prec, prec->pgnoLast,
                          "ExtendDB at (%d,%u,%u) needs redo: it grows the database to %u pages, the file has %u",
                          prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, prec->pgnoLast, r->hdr.cpgData);
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_SHRINKDB:
    case ESEPY_ESE_LRTYP_SHRINKDB2:
    case ESEPY_ESE_LRTYP_SHRINKDB3:
    case ESEPY_ESE_LRTYP_TRIMDB:
    case ESEPY_ESE_LRTYP_EXTENTFREED:
    case ESEPY_ESE_LRTYP_EXTENTFREED2:
    case ESEPY_ESE_LRTYP_REATTACH:
    case ESEPY_ESE_LRTYP_ROOTPAGEMOVE:
    case ESEPY_ESE_LRTYP_CREATEDBFINISH:
        if (fOurs && r->state == DB_ATTACHED && EsepyEseCmpLgpos(&prec->lgpos, &r->lgposAttach) > 0)
            return refuse(r, JET_errFeatureNotAvailable, prec, prec->pgno,
                          "%s at (%d,%u,%u) changes the attached database in a way stage-1 recovery does not "
                          "replay", EsepyEseLrtypName(t), prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib);
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_UNDOINFO:
        /* never redone: it gives the version store the before-image of an
         * uncommitted change whose page was flushed (R4) */
        if (fOurs && r->state == DB_ATTACHED && EsepyEseCmpLgpos(&prec->lgpos, &r->lgposAttach) > 0) {
            rec_session *ps = session(r, prec->procid);
            if (ps == NULL)
                return JET_errOutOfMemory;
            if (ps->fAfterBegin0)
                return eseundo_undoinfo(r->pu, prec, ps->level);
        }
        return JET_errSuccess;
    default:
        if (fOurs)
            return page_record(r, prec);
        return JET_errSuccess;
    }
}

/* ---- the clean header (R5) -------------------------------------------------------------- */

static void clean_header(rec_state *r, uint8_t *pb)
{
    ESEPY_ESE_RECOVERINFO *pi = r->pinfo;
    le_put64(pb + 16, r->dbtimeMax);                 /* dbtimeDirtied */
    le_put32(pb + 212, r->objidMax);                 /* objidLast */
    le_put32(pb + 52, JET_dbstateCleanShutdown);    /* only DirtyShutdown (2) gets here */
    /* clean: no generation required */
    le_put32(pb + 296, 0);                           /* lGenMinRequired */
    le_put32(pb + 300, 0);                           /* lGenMaxRequired */
    le_put32(pb + 416, 0);                           /* lGenMaxCommitted */
    le_put32(pb + 640, 0);                           /* lGenMinConsistent */
    le_put32(pb + 680, 0);                           /* lGenPreRedoMinConsistent */
    le_put32(pb + 684, 0);                           /* lGenPreRedoMinRequired */
    memset(pb + 348, 0, 8);                       /* logtimeGenMaxCreate */
    memset(pb + 672, 0, 8);                       /* logtimeGenMaxRequired */
    le_put32(pb + 536, 0);                           /* lGenRecovering */
    /* current backup: cleared when one was in progress */
    if (le_get32(pb + 184 + 16) != 0) {
        memset(pb + 184, 0, 24);                  /* bkinfoFullCur */
        memset(pb + 316, 0, 24);                  /* bkinfoSnapshotCur */
        memset(pb + 160, 0, 24);                  /* bkinfoIncPrev */
    }
    put_lgpos(pb + 80, &r->lgposAttach);          /* lgposAttach: the attachment replayed last */
    put_lgpos(pb + 56, &pi->lgposConsistent);     /* lgposConsistent */
    put_lgpos(pb + 96, &pi->lgposConsistent);     /* lgposDetach */
    /* lgposLastResize exists from format 1568.110.240 (JET_efvLgposLastResize) */
    uint32_t ver = le_get32(pb + 8), maj = r->rgulVersion[1], min = r->rgulVersion[2];
    if (ver > 0x620 || (ver == 0x620 && (maj > 110 || (maj == 110 && min >= 240))))
        put_lgpos(pb + 656, &pi->lgposConsistent);
    le_put32(pb + 232, r->rgulVersion[1]);
    le_put32(pb + 644, r->rgulVersion[2]);
    if (r->rgulVersion[0] != le_get32(pb + 8))
        le_put32(pb + 8, r->rgulVersion[0]);
    logtime_now(pb + 64);                         /* logtimeConsistent */
    memcpy(pb + 88, pb + 64, 8);                  /* logtimeDetach */
    le_put32(pb, esefmt_checksum_xor(pb, HDR_CB));
}

/* ---- writing ------------------------------------------------------------------------------ */

static JET_ERR dir_of(const char *szPath, char *szDir, size_t cbDir)
{
    const char *p = strrchr(szPath, '/');
    if (p == NULL)
        snprintf(szDir, cbDir, ".");
    else if (p == szPath)
        snprintf(szDir, cbDir, "/");
    else if ((size_t)(p - szPath) < cbDir)
        snprintf(szDir, cbDir, "%.*s", (int)(p - szPath), szPath);
    else
        return JET_errInvalidPath;
    return JET_errSuccess;
}

/* Copy szIn to szOut through a temporary file, with the header page pbHdr
 * (cbPage bytes) at both header positions. */
static JET_ERR write_copy(const char *szIn, const char *szOut, const uint8_t *pbHdr, uint32_t cbPage)
{
    size_t cchOut = strlen(szOut);
    char *szTmp = os_malloc(cchOut + sizeof(TMP_SUFFIX));
    char *szDir = os_malloc(cchOut + 2);
    uint8_t *pb = os_malloc(COPY_CB);
    os_file *pfIn = NULL, *pfOut = NULL;
    int fCreated = 0;
    JET_ERR err = JET_errSuccess;
    if (szTmp == NULL || szDir == NULL || pb == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    memcpy(szTmp, szOut, cchOut);
    memcpy(szTmp + cchOut, TMP_SUFFIX, sizeof(TMP_SUFFIX));
    if ((err = dir_of(szOut, szDir, cchOut + 2)) < 0)
        goto done;
    if ((err = os_file_open(szIn, OS_FILE_READ, &pfIn)) < 0)
        goto done;
    if ((err = os_file_open(szTmp, OS_FILE_WRITE | OS_FILE_CREATE | OS_FILE_NOFOLLOW, &pfOut)) < 0)
        goto done;
    fCreated = 1;
    uint64_t cbFile = 0;
    if ((err = os_file_size(pfIn, &cbFile)) < 0)
        goto done;
    for (uint64_t off = 0; off < cbFile;) {
        size_t cb = cbFile - off < COPY_CB ? (size_t)(cbFile - off) : COPY_CB;
        if ((err = os_file_read(pfIn, off, pb, cb, NULL)) < 0)
            goto done;
        /* the two header pages are replaced (only the chunks that overlap them) */
        for (uint64_t ib = off; ib < off + cb && ib < 2ull * cbPage; ib++)
            pb[ib - off] = pbHdr[ib % cbPage];
        if ((err = os_file_write(pfOut, off, pb, cb)) < 0)
            goto done;
        off += cb;
    }
    if ((err = os_file_sync(pfOut)) < 0)
        goto done;
    os_file_close(pfOut);
    pfOut = NULL;
    if ((err = os_rename(szTmp, szOut)) < 0)
        goto done;
    fCreated = 0;
    err = os_dir_sync(szDir);
done:
    os_file_close(pfIn);
    os_file_close(pfOut);
    if (fCreated)
        (void)os_unlink(szTmp);
    os_free(pb);
    os_free(szDir);
    os_free(szTmp);
    return err;
}

/* Write the header page to both copies of szPath (shadow first), fsynced. */
static JET_ERR write_header_pair(const char *szPath, const uint8_t *pbHdr, uint32_t cbPage)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(szPath, OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
    if (err < 0)
        return err;
    if ((err = os_file_write(pf, cbPage, pbHdr, cbPage)) >= 0 && (err = os_file_sync(pf)) >= 0 &&
        (err = os_file_write(pf, 0, pbHdr, cbPage)) >= 0)
        err = os_file_sync(pf);
    os_file_close(pf);
    return err;
}

/* The pages undo (or redo) changed are in the temporary copy r->szTmp: it
 * gets the clean header and replaces szTarget (R1: renamed into place only
 * now). */
static JET_ERR install_output(rec_state *r, const char *szTarget)
{
    JET_ERR err = eseredo_flush(r->pr);
    if (err < 0)
        return err;
    if ((err = write_header_pair(r->szTmp, r->pbHdr, r->cbPage)) < 0)
        return err;
    size_t cch = strlen(szTarget);
    char *szDir = os_malloc(cch + 2);
    if (szDir == NULL)
        return JET_errOutOfMemory;
    if ((err = dir_of(szTarget, szDir, cch + 2)) >= 0 && (err = os_rename(r->szTmp, szTarget)) >= 0)
        err = os_dir_sync(szDir);
    os_free(szDir);
    return err;
}

/* Write the header page to both copies of szDb (shadow first), then delete
 * the flush map beside it. */
static JET_ERR write_in_place(const char *szDb, const uint8_t *pbHdr, uint32_t cbPage, int *pfJfmRemoved)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(szDb, OS_FILE_WRITE | OS_FILE_LOCK | OS_FILE_NOFOLLOW, &pf);
    if (err < 0)
        return err;
    if ((err = os_file_write(pf, cbPage, pbHdr, cbPage)) >= 0 && (err = os_file_sync(pf)) >= 0 &&
        (err = os_file_write(pf, 0, pbHdr, cbPage)) >= 0)
        err = os_file_sync(pf);
    os_file_close(pf);
    if (err < 0)
        return err;
    size_t cch = strlen(szDb);
    char *szJfm = os_malloc(cch + 5);
    if (szJfm == NULL)
        return JET_errOutOfMemory;
    memcpy(szJfm, szDb, cch + 1);
    char *pDot = strrchr(szJfm, '.');
    char *pSlash = strrchr(szJfm, '/');
    if (pDot == NULL || (pSlash != NULL && pDot < pSlash))
        pDot = szJfm + cch;
    memcpy(pDot, ".jfm", 5);
    if (os_exists(szJfm)) {
        err = os_unlink(szJfm);
        if (err >= 0) {
            *pfJfmRemoved = 1;
            char *szDir = os_malloc(cch + 2);
            if (szDir == NULL)
                err = JET_errOutOfMemory;
            else if ((err = dir_of(szDb, szDir, cch + 2)) >= 0)
                err = os_dir_sync(szDir);
            os_free(szDir);
        }
    }
    os_free(szJfm);
    return err;
}

/* ---- the driver -------------------------------------------------------------------------- */

static JET_ERR run(rec_state *r, const char *szLogFolder, ESEPY_ESE_PFNRECOVER pfn, void *pv)
{
    ESEPY_ESE_RECOVERINFO *pi = r->pinfo;
    const ESEPY_ESE_HEADER *ph = &r->hdr;
    ESEPY_ESE_LOGCHAIN *pchain = NULL;
    ESEPY_ESE_LOGCHAININFO *pci = os_calloc(1, sizeof(*pci));
    ESEPY_ESE_LOGGEN *pgen = os_calloc(1, sizeof(*pgen));
    JET_ERR err = JET_errSuccess;
    if (pci == NULL || pgen == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    pci->cbStruct = sizeof(*pci);
    pgen->cbStruct = sizeof(*pgen);

    /* where redo starts: the checkpoint's generation (its own rules decide the
     * exact start), else the first generation the header requires */
    int32_t lGenFirst = ph->lGenMinRequired;
    {
        ESEPY_ESE_LOGCHAIN *pprobe = NULL;
        err = EsepyEseLogChainOpen(szLogFolder, NULL, lGenFirst > 0 ? lGenFirst : 0, &ph->signLog,
                                   ESEPY_ESE_LOGCHAIN_INSPECT, &pprobe);
        if (err >= 0 && EsepyEseLogChainGetInfo(pprobe, pci) >= 0 && pci->errCheckpoint >= 0 &&
            pci->checkpoint.lgposCheckpoint.lGeneration > 0)
            lGenFirst = pci->checkpoint.lgposCheckpoint.lGeneration;
        EsepyEseLogChainClose(pprobe);
        err = JET_errSuccess;
    }
    err = EsepyEseLogChainOpen(szLogFolder, NULL, lGenFirst > 0 ? lGenFirst : 0, &ph->signLog, 0, &pchain);
    if (err < 0) {
        ESEPY_ESE_LOGCHAIN *pinspect = NULL;
        memset(pci, 0, sizeof(*pci));
        pci->cbStruct = sizeof(*pci);
        if (EsepyEseLogChainOpen(szLogFolder, NULL, lGenFirst > 0 ? lGenFirst : 0, &ph->signLog,
                                 ESEPY_ESE_LOGCHAIN_INSPECT, &pinspect) >= 0 &&
            EsepyEseLogChainGetInfo(pinspect, pci) >= 0) {
            pi->lGenMissing = pci->lGenMissing;
            if (err == JET_errMissingLogFile && pi->lGenMissing == 0) {
                /* not a gap inside the chain: the first generation needed, or the one after the newest */
                if (lGenFirst > 0 && (pci->lGenLast == 0 || lGenFirst > pci->lGenLast || lGenFirst < pci->lGenFirst))
                    pi->lGenMissing = lGenFirst;
                else if (pci->lGenLast > 0 && pci->lGenLast < INT32_MAX) /* a header's number: no overflow */
                    pi->lGenMissing = pci->lGenLast + 1;
            }
        }
        EsepyEseLogChainClose(pinspect);
        if (err == JET_errBadLogSignature)
            err = refuse(r, JET_errDatabaseLogSetMismatch, NULL, 0,
                         "the logs in %s belong to another log stream than the database (its log signature "
                         "%08x): %s", szLogFolder, ph->signLog.ulRandom, pci->szError);
        else if (pi->lGenMissing > 0)
            err = refuse(r, err, NULL, 0, "log generation %d (0x%X) is missing from %s: %s", pi->lGenMissing,
                         (unsigned)pi->lGenMissing, szLogFolder, pci->szError);
        else
            err = refuse(r, err, NULL, 0, "the logs in %s cannot be replayed: %s", szLogFolder, pci->szError);
        goto done;
    }
    if ((err = EsepyEseLogChainGetInfo(pchain, pci)) < 0)
        goto done;
    pi->lgposCheckpoint = pci->checkpoint.lgposCheckpoint;
    pi->fFakeCheckpoint = pci->fCheckpointFake;
    pi->lgposRedoStart = pci->lgposRedoStart;
    pi->lgposEnd = pci->lgposEnd;
    pi->lGenFirst = pci->lGenFirst;
    pi->lGenLast = pci->lGenLast;
    for (uint32_t i = 0; i < pci->cgen; i++)
        if (EsepyEseLogChainGetGen(pchain, i, pgen) >= 0)
            pi->csegmentCorrected += pgen->info.csegCorrected;

    if (ph->lGenMinRequired > 0 && pci->lgposRedoStart.lGeneration > ph->lGenMinRequired) {
        pi->lGenMissing = ph->lGenMinRequired;
        err = refuse(r, JET_errRequiredLogFilesMissing, NULL, 0,
                     "the database needs log generations from %d, but redo starts at the checkpoint (%d,%u,%u): "
                     "the checkpoint is from a later run than the database", ph->lGenMinRequired,
                     pci->lgposRedoStart.lGeneration, pci->lgposRedoStart.isec, pci->lgposRedoStart.ib);
        goto done;
    }

    /* init before redo: the attachment list of the redo start */
    r->lgposCur = pci->lgposRedoStart;
    for (uint32_t i = 0; i < pci->cattach && i < ESEPY_ESE_ATTACH_MAX; i++) {
        const ESEPY_ESE_ATTACHINFO *pa = &pci->rgattach[i];
        if (!same_sign(&pa->signDb, &ph->signDb))
            continue;
        if ((err = attach_decision(r, NULL, 0, pa->dbid, &pa->lgposConsistent, &pa->lgposAttach)) < 0)
            goto done;
        if (pa->dbtime > r->dbtimeMax)
            r->dbtimeMax = pa->dbtime;
        if (pa->objidLast > r->objidMax)
            r->objidMax = pa->objidLast;
    }

    if ((err = EsepyEseLogChainSeek(pchain, &pci->lgposRedoStart)) < 0)
        goto done;
    int32_t lGenSeen = 0;
    uint32_t cgen = (uint32_t)(pci->lGenLast - pci->lgposRedoStart.lGeneration + 1);
    ESEPY_ESE_LOGRECORD rec;
    for (;;) {
        memset(&rec, 0, sizeof(rec));
        rec.cbStruct = sizeof(rec);
        err = EsepyEseLogChainNextRecord(pchain, &rec);
        if (err == JET_errNoCurrentRecord) {
            err = JET_errSuccess;
            break;
        }
        if (err < 0) {
            ESEPY_ESE_LOGCHAININFO ci;
            memset(&ci, 0, sizeof(ci));
            ci.cbStruct = sizeof(ci);
            (void)EsepyEseLogChainGetInfo(pchain, &ci);
            err = refuse(r, err, rec.lrtyp || rec.lgpos.lGeneration ? &rec : NULL, 0,
                         "reading the log at (%d,%u,%u): %s", rec.lgpos.lGeneration, rec.lgpos.isec, rec.lgpos.ib,
                         ci.szError[0] ? ci.szError : "damaged record");
            goto done;
        }
        if (rec.lgpos.lGeneration != lGenSeen) {
            lGenSeen = rec.lgpos.lGeneration;
            if (pfn != NULL) {
                uint32_t igen = (uint32_t)(lGenSeen - pci->lgposRedoStart.lGeneration); /* generations done */
                if ((err = pfn(pv, lGenSeen, igen, cgen)) < 0) {
                    err = refuse(r, err, NULL, 0, "stopped by the progress callback at generation %d", lGenSeen);
                    goto done;
                }
            }
        }
        if ((err = one_record(r, &rec)) < 0)
            goto done;
    }
    if (pfn != NULL && (err = pfn(pv, pci->lGenLast, cgen, cgen)) < 0) {
        err = refuse(r, err, NULL, 0, "stopped by the progress callback");
        goto done;
    }

    /* after the last record */
    r->lgposCur = pci->lgposEnd;
    if (r->state == DB_ATTACHED || r->state == DB_DETACHED) {
        if (ph->lGenMaxRequired > pci->lGenLast) {
            pi->lGenMissing = pci->lGenLast + 1;
            err = refuse(r, JET_errRequiredLogFilesMissing, NULL, 0,
                         "the database needs log generations up to %d, the logs end at generation %d: generation %d "
                         "is missing", ph->lGenMaxRequired, pci->lGenLast, pci->lGenLast + 1);
            goto done;
        }
        if (ph->lGenMaxCommitted > pci->lGenLast) {
            pi->lGenMissing = pci->lGenLast + 1;
            err = refuse(r, JET_errCommittedLogFilesMissing, NULL, 0,
                         "the database holds changes committed in generations up to %d, the logs end at "
                         "generation %d", ph->lGenMaxCommitted, pci->lGenLast);
            goto done;
        }
    }
    if (r->state == DB_ATTACHED) {
        if ((err = end_sessions(r, 1)) < 0)
            goto done;
        /* the consistent point: the ShutDownMark just replayed, else the end of
         * the log data (no log is written: see docs/forensics-windows-ese.md) */
        pi->lgposConsistent = r->fLastIsSDM ? r->lgposSDM : pci->lgposEnd;
    } else if (r->state == DB_DETACHED) {
        pi->lgposConsistent = r->lgposConsistent;
    } else {
        err = refuse(r, JET_errAttachedDatabaseMismatch, NULL, 0,
                     "the logs (%d..%d) never attach this database at its consistent position (%d,%u,%u) and "
                     "attach position (%d,%u,%u)%s", pci->lGenFirst, pci->lGenLast,
                     ph->lgposConsistent.lGeneration, ph->lgposConsistent.isec, ph->lgposConsistent.ib,
                     ph->lgposAttach.lGeneration, ph->lgposAttach.isec, ph->lgposAttach.ib,
                     r->state == DB_DEFERRED ? " (it stays consistent in the future of every attachment)" : "");
        goto done;
    }
done:
    if (r->pinfo->err == 0 && err < 0)
        r->pinfo->err = err;
    EsepyEseLogChainClose(pchain);
    os_free(pgen);
    os_free(pci);
    return err;
}

JET_ERR EsepyEseRecover(const char *szDatabase, const char *szLogFolder, const char *szCheckpointFolder,
                        const char *szOutput, uint32_t grbit, ESEPY_ESE_PFNRECOVER pfnProgress, void *pvContext,
                        ESEPY_ESE_RECOVERINFO *pinfo)
{
    if (szDatabase == NULL || szLogFolder == NULL || pinfo == NULL || (grbit & ~(uint32_t)ESEPY_ESE_RECOVER_IN_PLACE))
        return JET_errInvalidParameter;
    const int fInPlace = (grbit & ESEPY_ESE_RECOVER_IN_PLACE) != 0;
    if (fInPlace ? szOutput != NULL : szOutput == NULL)
        return JET_errInvalidParameter;
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    if (szCheckpointFolder != NULL && strcmp(szCheckpointFolder, szLogFolder) != 0) {
        snprintf(pinfo->szReason, sizeof(pinfo->szReason),
                 "a checkpoint folder other than the log folder is not supported yet");
        return pinfo->err = JET_errFeatureNotAvailable;
    }
    if (!fInPlace && os_exists(szOutput)) {
        snprintf(pinfo->szReason, sizeof(pinfo->szReason), "the output %s already exists (it is never overwritten)",
                 szOutput);
        return pinfo->err = JET_errFileAlreadyExists;
    }

    rec_state st;
    memset(&st, 0, sizeof(st));
    rec_state *r = &st;
    r->pinfo = pinfo;
    JET_ERR err = EsepyEseOpen(szDatabase, 0, &r->pdb);
    if (err < 0) {
        snprintf(pinfo->szReason, sizeof(pinfo->szReason), "cannot open the database %s", szDatabase);
        pinfo->err = err;
        return err;
    }
    r->hdr.cbStruct = sizeof(r->hdr);
    if ((err = EsepyEseGetHeader(r->pdb, &r->hdr)) < 0)
        goto done;
    r->cbPage = r->hdr.cbPage;
    r->pbHdr = os_malloc(r->cbPage);
    if (r->pbHdr == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    {
        os_file *pf = NULL;
        if ((err = os_file_open(szDatabase, OS_FILE_READ, &pf)) >= 0) {
            err = os_file_read(pf, (uint64_t)r->hdr.iCopyUsed * r->cbPage, r->pbHdr, r->cbPage, NULL);
            os_file_close(pf);
        }
        if (err < 0)
            goto done;
    }
    pinfo->dbtimeBefore = pinfo->dbtimeAfter = r->hdr.dbtimeDirtied;
    pinfo->objidBefore = pinfo->objidAfter = r->hdr.objidLast;
    r->dbtimeMax = r->hdr.dbtimeDirtied;
    r->objidMax = r->hdr.objidLast;
    r->lgposConsistent = r->hdr.lgposConsistent;
    r->lgposAttach = r->hdr.lgposAttach;
    r->lGenMaxRequiredInitial = r->hdr.lGenMaxRequired;
    r->rgulVersion[0] = r->hdr.ulVersion;
    r->rgulVersion[1] = r->hdr.ulUpdateMajor;
    r->rgulVersion[2] = r->hdr.ulUpdateMinor;

    if (r->hdr.dbstate == JET_dbstateCleanShutdown) {
        /* nothing to replay: the copy is the input unchanged */
        pinfo->fWasClean = 1;
        pinfo->lgposConsistent = r->hdr.lgposConsistent;
        if (!fInPlace)
            err = write_copy(szDatabase, szOutput, r->pbHdr, r->cbPage);
        goto done;
    }
    if (r->hdr.dbstate != JET_dbstateDirtyShutdown) {
        err = refuse(r, JET_errDatabaseInconsistent, NULL, 0,
                     "the database is in state %u (not DirtyShutdown or CleanShutdown): stage-1 recovery handles "
                     "only a database that crashed", r->hdr.dbstate);
        goto done;
    }
    /* the output copy is written through eseredo's page cache when pages change
     * (undo); its temporary name sits beside the output */
    {
        const char *szBase = fInPlace ? szDatabase : szOutput;
        size_t cch = strlen(szBase);
        r->szTmp = os_malloc(cch + sizeof(TMP_SUFFIX));
        if (r->szTmp == NULL) {
            err = JET_errOutOfMemory;
            goto done;
        }
        memcpy(r->szTmp, szBase, cch);
        memcpy(r->szTmp + cch, TMP_SUFFIX, sizeof(TMP_SUFFIX));
        if (os_exists(r->szTmp) && (err = os_unlink(r->szTmp)) < 0)
            goto done; /* left by an interrupted run */
        if ((err = eseredo_open(r->pdb, szDatabase, r->szTmp, r->hdr.lGenMaxRequired, pinfo, &r->pr)) < 0 ||
            (err = eseundo_open(r->pr, pinfo, &r->pu)) < 0)
            goto done;
        eseredo_set_version_hook(r->pr, eseundo_version, r->pu);
    }
    /* a damaged header copy: the valid one is used and both are rewritten */
    if ((err = run(r, szLogFolder, pfnProgress, pvContext)) < 0)
        goto done;

    /* R1: every check passed; now write */
    clean_header(r, r->pbHdr);
    pinfo->dbtimeAfter = r->dbtimeMax;
    pinfo->objidAfter = r->objidMax;
    if ((err = eseredo_flush(r->pr)) < 0)
        goto done;
    if (eseredo_has_output(r->pr)) {
        /* pages changed: the temporary copy becomes the output (in place: the database) */
        EsepyEseClose(r->pdb);
        r->pdb = NULL;
        err = install_output(r, fInPlace ? szDatabase : szOutput);
        if (err >= 0 && fInPlace)
            err = write_in_place(szDatabase, r->pbHdr, r->cbPage, &pinfo->fJfmRemoved);
    } else if (fInPlace) {
        EsepyEseClose(r->pdb); /* release the read handle before writing */
        r->pdb = NULL;
        err = write_in_place(szDatabase, r->pbHdr, r->cbPage, &pinfo->fJfmRemoved);
    } else {
        err = write_copy(szDatabase, szOutput, r->pbHdr, r->cbPage);
    }
    if (err < 0 && pinfo->szReason[0] == '\0')
        snprintf(pinfo->szReason, sizeof(pinfo->szReason), "writing the recovered database %s failed",
                 fInPlace ? szDatabase : szOutput);
done:
    sessions_free(r);
    os_free(r->rgsess);
    os_free(r->pbHdr);
    eseundo_close(r->pu);
    if (r->pr != NULL) {
        int fTmp = eseredo_has_output(r->pr);
        eseredo_close(r->pr);
        if (fTmp && err < 0)
            (void)os_unlink(r->szTmp); /* R1: a refusal leaves no file behind */
    }
    os_free(r->szTmp);
    EsepyEseClose(r->pdb);
    if (err < 0 && pinfo->err == 0)
        pinfo->err = err;
    return err;
}
