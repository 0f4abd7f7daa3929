/*
 * eserecover.c -- soft recovery of a database written by Windows' ESE onto a
 * copy: the logs are read completely, the page changes a page lacks are
 * redone (eseredo.c, over the page model of esepage.c), and the database is
 * declared clean when no undo is needed.
 *
 * Owns: the recovery decisions of docs/forensics-windows-ese.md ("Recovery"):
 * the attach state machine (attachment list at the redo start, AttachDB,
 * DetachDB, Init/Init2, Term/Term2, RecoveryQuit*, ShutDownMark,
 * SetDbVersion), session tracking (procid -> transaction level, Begin0 seen,
 * macros and their buffered records) that decides which page records lie in
 * the attached window and proves no transaction is left open, the dbtime /
 * objid counters, and the clean header written to both header copies of the
 * output.
 * Reads through: the esefmt reader (EsepyEseOpen for header and pages, the
 * log chain reader EsepyEseLogChain* for records).  Page records of the
 * window go to eseredo (eseredo_apply, eseredo_apply_macro at MacroCommit,
 * eseredo_extend), which applies the dbtime rule and writes changed pages to
 * a temporary copy.  Writes through csrc/os, and only: a new output file
 * (temporary name, fsync, rename, folder fsync) or, when the caller says the
 * database is a copy (IN_PLACE), that file's two header pages or the whole
 * file (a redone temporary copy renamed over it), and the flush map beside it
 * (deleted).
 * Must not touch: the input database and the log files and checkpoint (they
 * are opened read-only); any engine layer; global state.
 *
 * Invariants:
 *  R1 Nothing is renamed into place (nor, in place, written into the
 *     database) before every record up to the end of the logs has been read
 *     and every check has passed: a refusal leaves no file behind (redo's
 *     temporary copy is deleted on every error path).
 *  R2 A record changes the decision only for the database whose signDb the
 *     attachments carry (its dbid is taken from the latest attachment naming
 *     it); records of other databases only move session state.
 *  R3 A page record of the database is "in the window" iff the database is
 *     attached, the record lies after the attach position, its session has
 *     begun a level-0 transaction since the redo start and (inside a macro)
 *     the macro committed.  Only records in the window reach eseredo, which
 *     redoes the change on every page lacking it (or stops recovery naming a
 *     record it cannot replay, or a dbtime that does not fit).
 *  R4 Every versioned change inside the window builds a version in eseundo
 *     (through eseredo's version hook), Commit/Rollback/UndoInfo/Undo move
 *     them; at the end of the logs every session still in a transaction is
 *     rolled back through eseundo (its pages changed in eseredo's temporary
 *     output copy, renamed into place only after every check: R1).  Sessions
 *     ending inside the logs (Init, Term, RecoveryQuit) drop their versions:
 *     the recovery that ran then logged its compensations as Undo records.
 *  R5 The header written is the input's valid header copy with only the
 *     fields of reference section 3.6 changed, and the same page goes to both
 *     copies with its XOR checksum recomputed; data pages are the input's
 *     except those redo changed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"
#include "eseredo.h"
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
    eseredo_buf     buf;            /* records buffered in the open macro (copies) */
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

    const char      *szDatabase;
    char            *szTmp;         /* the temporary output copy redo writes (created on its first write) */
    eseredo         *predo;         /* opened on the first record that needs the page rule */
    eseundo         *pu;            /* the version store, opened with predo (R4) */
} rec_state;

static JET_ERR refuse(rec_state *r, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static JET_ERR refuse(rec_state *r, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err = eseredo_vrefuse(r->pinfo, err, prec, pgno, fmt, ap);
    va_end(ap);
    return err;
}

/* The redo context, opened on first use: its pages come from the input until
 * the first change creates the temporary copy (R1: renamed into place only
 * at the end). */
static JET_ERR redo_ready(rec_state *r)
{
    if (r->predo != NULL)
        return JET_errSuccess;
    JET_ERR err = eseredo_open(r->pdb, r->szDatabase, r->szTmp, r->lGenMaxRequiredInitial, r->pinfo, &r->predo);
    if (err >= 0 && (err = eseundo_open(r->predo, r->pinfo, &r->pu)) >= 0)
        eseredo_set_version_hook(r->predo, eseundo_version, r->pu); /* every versioned record builds a version */
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

/* ---- page records (R3) ------------------------------------------------------------ */

/* A page-oriented record of our database (dbid matched). */
static JET_ERR page_record(rec_state *r, const ESEPY_ESE_LOGRECORD *prec)
{
    ESEPY_ESE_RECOVERINFO *pi = r->pinfo;
    eseredo_pageref rg[4];
    int c = eseredo_page_refs(prec, rg, 4);
    if (c < 0)
        return JET_errSuccess;
    pi->cpageRecord += (uint64_t)c;

    rec_session *ps = session(r, prec->procid);
    if (ps == NULL)
        return JET_errOutOfMemory;
    int fInWindow = r->state == DB_ATTACHED && EsepyEseCmpLgpos(&prec->lgpos, &r->lgposAttach) > 0 && ps->fAfterBegin0;
    if (!fInWindow) {
        pi->cpageOutside += (uint64_t)c;
        return JET_errSuccess;
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
    if (ps->fMacro && prec->dbtime == ps->dbtimeMacro)
        return eseredo_buf_add(&ps->buf, prec); /* replayed at MacroCommit (MacroAbort drops it) */
    JET_ERR err = redo_ready(r);
    if (err < 0)
        return err;
    if (prec->lrtyp == ESEPY_ESE_LRTYP_UNDO)
        return eseundo_redo_undo(r->pu, prec); /* a compensation logged by a rollback (R4) */
    pi->crecordRedo++;
    return eseredo_apply(r->predo, prec);
}

/* ---- sessions ending (R4) --------------------------------------------------------- */

static void sessions_free(rec_state *r)
{
    for (uint32_t i = 0; i < r->csess; i++)
        eseredo_buf_free(&r->rgsess[i].buf);
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
        if (r->pu != NULL)
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
        if (r->pu != NULL && ps->fAfterBegin0)
            eseundo_rollback(r->pu, prec->procid, ps->level);
        return JET_errSuccess;
    }
    case ESEPY_ESE_LRTYP_MACROBEGIN: {
        rec_session *ps = session(r, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        ps->fMacro = 1;
        ps->dbtimeMacro = prec->dbtime;
        eseredo_buf_clear(&ps->buf);
        return JET_errSuccess;
    }
    case ESEPY_ESE_LRTYP_MACROCOMMIT:
    case ESEPY_ESE_LRTYP_MACROABORT: {
        rec_session *ps = session(r, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        /* only records in the window were buffered (page_record) */
        if (t == ESEPY_ESE_LRTYP_MACROCOMMIT && ps->buf.crec > 0) {
            if ((err = redo_ready(r)) >= 0) {
                r->pinfo->crecordRedo += ps->buf.crec;
                err = eseredo_apply_macro(r->predo, &ps->buf, ps->dbtimeMacro);
            }
        }
        ps->fMacro = 0;
        eseredo_buf_clear(&ps->buf);
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
        /* the file grows to what the log says (pgnoLast data pages + the header pair) */
        if (fOurs && r->state == DB_ATTACHED && EsepyEseCmpLgpos(&prec->lgpos, &r->lgposAttach) > 0 &&
            prec->pgnoLast > r->hdr.cpgData) {
            if ((err = redo_ready(r)) < 0)
                return err;
            return eseredo_extend(r->predo, prec, prec->pgnoLast);
        }
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_SHRINKDB:
    case ESEPY_ESE_LRTYP_SHRINKDB2:
    case ESEPY_ESE_LRTYP_SHRINKDB3:
    case ESEPY_ESE_LRTYP_TRIMDB:
    case ESEPY_ESE_LRTYP_EXTENTFREED:
    case ESEPY_ESE_LRTYP_EXTENTFREED2:
    case ESEPY_ESE_LRTYP_REATTACH:
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
            if (ps->fAfterBegin0) {
                if ((err = redo_ready(r)) < 0)
                    return err;
                return eseundo_undoinfo(r->pu, prec, ps->level);
            }
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

/* Delete the flush map beside szDb (its flush-type bits no longer match). */
static JET_ERR remove_jfm(const char *szDb, int *pfJfmRemoved)
{
    JET_ERR err = JET_errSuccess;
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
    return remove_jfm(szDb, pfJfmRemoved);
}

/* Redo changed pages: the temporary copy gets the clean header, then
 * replaces szTarget (the output, or the database itself in place). */
static JET_ERR write_redone(rec_state *r, const char *szTarget, int fInPlace)
{
    JET_ERR err = eseredo_finish(r->predo, r->pbHdr); /* after eseredo_flush */
    if (err < 0)
        return err;
    if (fInPlace) {
        EsepyEseClose(r->pdb); /* release the read handle before replacing the file */
        r->pdb = NULL;
    }
    size_t cch = strlen(szTarget);
    char *szDir = os_malloc(cch + 2);
    if (szDir == NULL)
        return JET_errOutOfMemory;
    if ((err = dir_of(szTarget, szDir, cch + 2)) >= 0 && (err = os_rename(r->szTmp, szTarget)) >= 0)
        err = os_dir_sync(szDir);
    os_free(szDir);
    if (err >= 0 && fInPlace)
        err = remove_jfm(szTarget, &r->pinfo->fJfmRemoved);
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
    r->szDatabase = szDatabase;
    {
        const char *szBase = fInPlace ? szDatabase : szOutput;
        size_t cch = strlen(szBase);
        r->szTmp = os_malloc(cch + sizeof(TMP_SUFFIX));
        if (r->szTmp != NULL) {
            memcpy(r->szTmp, szBase, cch);
            memcpy(r->szTmp + cch, TMP_SUFFIX, sizeof(TMP_SUFFIX));
        }
    }
    if (r->pbHdr == NULL || r->szTmp == NULL) {
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
    /* a damaged header copy: the valid one is used and both are rewritten */
    if ((err = run(r, szLogFolder, pfnProgress, pvContext)) < 0)
        goto done;

    /* R1: every check passed; now write */
    clean_header(r, r->pbHdr);
    pinfo->dbtimeAfter = r->dbtimeMax;
    pinfo->objidAfter = r->objidMax;
    pinfo->cpgDatabaseAfter = r->predo != NULL ? eseredo_cpg(r->predo) : r->hdr.cpgData;
    if (r->predo != NULL && (err = eseredo_flush(r->predo)) < 0) {
        /* the temporary copy is deleted below (R1) */
    } else if (r->predo != NULL && eseredo_has_output(r->predo)) {
        err = write_redone(r, fInPlace ? szDatabase : szOutput, fInPlace);
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
    for (uint32_t i = 0; i < r->csess; i++)
        eseredo_buf_free(&r->rgsess[i].buf);
    os_free(r->rgsess);
    eseundo_close(r->pu);
    if (r->predo != NULL) {
        int fTmp = eseredo_has_output(r->predo);
        eseredo_close(r->predo);
        if (fTmp && os_exists(r->szTmp))
            (void)os_unlink(r->szTmp); /* R1: a refusal (or a failed write) leaves no file behind */
    }
    os_free(r->szTmp);
    os_free(r->pbHdr);
    EsepyEseClose(r->pdb);
    if (err < 0 && pinfo->err == 0)
        pinfo->err = err;
    return err;
}
