/*
 * eseundo.c -- the version store of a Windows ESE recovery and the undo of
 * the transactions the logs leave open (reference ese-log-format.md §2.3
 * UndoInfo / Undo, §3.5, §5.3 "Version store").
 *
 * Owns: the versions (one per versioned change: session procid, rceid, level,
 * operation, tree, bookmark, before-image or delta) built while redo walks
 * the logs -- whether or not the page needed the change --, their life
 * (Commit moves them down a level, Commit0 discards them, Rollback drops the
 * levels it rolls back, UndoInfo fills in a deferred before-image, Undo
 * re-applies a logged compensation by the dbtime rule and drops its
 * version), and the rollback at the end of the logs: sessions in procid
 * order, each one's versions newest first, every node found again by its
 * bookmark through its tree (splits may have moved it), then
 *   insert (and flag-insert)  -> the node is flag-deleted and left there (as
 *                                ESE leaves it during recovery: no cleanup),
 *   replace                   -> the before-image is written back,
 *   flag-delete               -> the deleted flag is cleared,
 *   delta                     -> the delta is subtracted.
 * No log record is written (the clean header of §3.6 is all eserecover
 * writes besides pages): a page changed by the rollback is stamped with a new
 * dbtime above every dbtime seen, so the logs can never be replayed onto it
 * again, and a node that already carries the compensation is left untouched
 * (a second recovery of the output changes nothing).
 * Reads and writes pages only through eseredo's page cache (eseredo.h).
 * Must not touch: files, the log reader, the session and attach decisions
 * (eserecover.c), redo itself (eseredo.c, esesplit.c).
 *
 * Invariants:
 *  U1 A session's versions are kept in the order they were made (oldest
 *     first); rollback walks them backwards.  Every version's level is >= 1
 *     and <= the level its session is at.
 *  U2 A version holds copies only: bookmark key, bookmark data (non-unique
 *     trees), before-image; the bytes held by all versions (cbHeld) plus
 *     their descriptors (cver * sizeof(undo_ver)) never exceed
 *     ESEUNDO_BYTES_MAX.
 *  U3 A deferred version (a replace or flag-delete whose page had the change
 *     already) has no bookmark and no before-image until its UndoInfo record
 *     supplies them; rolling back a deferred version that never got one
 *     stops recovery by name -- nothing could restore what it changed.
 *  U4 Pages are pinned only for the duration of one compensation.
 */
#include <stdio.h>
#include <stdlib.h>

#include "eseundo.h"

typedef struct {
    uint32_t        rceid;
    uint32_t        level;
    uint32_t        op;            /* ESEREDO_VER_INSERT, _REPLACE, _FLAGDELETE, _DELTA, _DELTA64 (a
                                    * flag-insert is an insert; FlagInsertAndReplaceData gives two) */
    uint32_t        pgnoFDP, objidFDP;
    uint32_t        pgno, iline;   /* where the record put it (a hint: splits move nodes) */
    uint64_t        dbtime;        /* the record's */
    uint32_t        lrtyp;
    ESEPY_ESE_LGPOS lgpos;
    int             fUnique;       /* the tree is unique: the bookmark is the key alone */
    int             fDeferred;     /* U3 */
    int             fBmData;       /* bookmark data known (non-unique trees) */
    int64_t         delta;
    uint32_t        ibOffset;
    uint32_t        cbKey, cbBmData, cbBefore;
    uint8_t        *pb;            /* key, bookmark data, before-image (owned) */
} undo_ver;

typedef struct {
    uint32_t  procid;
    undo_ver *rgver;
    uint32_t  cver, cverMax;
} undo_sess;

struct eseundo {
    eseredo               *pr;
    ESEPY_ESE_RECOVERINFO *pinfo;
    undo_sess             *rgsess;
    uint32_t               csess, csessMax;
    uint64_t               cbHeld;
    uint64_t               cver;    /* versions held by all sessions (U2) */
    uint8_t               *pbKey;   /* ESEFMT_KEY_MAX + cbPage: scratch for node keys / bookmarks */
    uint8_t               *pbData;  /* 2 * cbPage: scratch for data */
    uint32_t               cbPage;
    ESEUNDO_STATS          stats;
};

#define LGPOS_FMT "(%d,%u,%u)"
#define LGPOS_ARGS(lg) (lg).lGeneration, (lg).isec, (lg).ib
#define SEEK_PAGES_MAX 100000u /* pages one bookmark search may visit */

static const char *op_name(uint32_t op)
{
    switch (op) {
    case ESEREDO_VER_INSERT: return "insert";
    case ESEREDO_VER_REPLACE: return "replace";
    case ESEREDO_VER_FLAGDELETE: return "flag-delete";
    case ESEREDO_VER_DELTA: return "delta";
    case ESEREDO_VER_DELTA64: return "delta64";
    default: return "?";
    }
}

/* ---- life cycle ---------------------------------------------------------------- */

JET_ERR eseundo_open(eseredo *pr, ESEPY_ESE_RECOVERINFO *pinfo, eseundo **ppu)
{
    *ppu = NULL;
    eseundo *pu = os_calloc(1, sizeof(*pu));
    if (pu == NULL)
        return JET_errOutOfMemory;
    pu->pr = pr;
    pu->pinfo = pinfo;
    pu->cbPage = 32768; /* scratch sized for the largest page */
    pu->pbKey = os_malloc(ESEFMT_KEY_MAX + pu->cbPage);
    pu->pbData = os_malloc(2 * (size_t)pu->cbPage);
    if (pu->pbKey == NULL || pu->pbData == NULL) {
        eseundo_close(pu);
        return JET_errOutOfMemory;
    }
    *ppu = pu;
    return JET_errSuccess;
}

static void ver_free(eseundo *pu, undo_ver *pv)
{
    pu->cbHeld -= (uint64_t)pv->cbKey + pv->cbBmData + pv->cbBefore;
    os_free(pv->pb);
    pv->pb = NULL;
    pv->cbKey = pv->cbBmData = pv->cbBefore = 0;
}

static void sess_clear(eseundo *pu, undo_sess *ps)
{
    for (uint32_t i = 0; i < ps->cver; i++)
        ver_free(pu, &ps->rgver[i]);
    pu->cver -= ps->cver;
    ps->cver = 0;
}

void eseundo_close(eseundo *pu)
{
    if (pu == NULL)
        return;
    for (uint32_t i = 0; i < pu->csess; i++) {
        sess_clear(pu, &pu->rgsess[i]);
        os_free(pu->rgsess[i].rgver);
    }
    os_free(pu->rgsess);
    os_free(pu->pbKey);
    os_free(pu->pbData);
    os_free(pu);
}

void eseundo_stats(const eseundo *pu, ESEUNDO_STATS *pstats)
{
    *pstats = pu->stats;
}

static undo_sess *sess_find(eseundo *pu, uint32_t procid, int fCreate)
{
    for (uint32_t i = 0; i < pu->csess; i++)
        if (pu->rgsess[i].procid == procid)
            return &pu->rgsess[i];
    if (!fCreate)
        return NULL;
    if (pu->csess == pu->csessMax) {
        uint32_t c = pu->csessMax ? 2 * pu->csessMax : 8;
        undo_sess *rg = os_realloc(pu->rgsess, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return NULL;
        pu->rgsess = rg;
        pu->csessMax = c;
    }
    undo_sess *ps = &pu->rgsess[pu->csess++];
    memset(ps, 0, sizeof(*ps));
    ps->procid = procid;
    return ps;
}

static undo_ver *ver_find(undo_sess *ps, uint32_t rceid)
{
    for (uint32_t i = ps->cver; i-- > 0;)
        if (ps->rgver[i].rceid == rceid)
            return &ps->rgver[i];
    return NULL;
}

/* Remove version i of the session (order kept: U1). */
static void ver_remove(eseundo *pu, undo_sess *ps, uint32_t i)
{
    ver_free(pu, &ps->rgver[i]);
    memmove(&ps->rgver[i], &ps->rgver[i + 1], (size_t)(ps->cver - i - 1) * sizeof(*ps->rgver));
    ps->cver--;
    pu->cver--;
}

/* Set the bytes a version holds (U2). */
static JET_ERR ver_set_bytes(eseundo *pu, undo_ver *pv, const uint8_t *pbKey, uint32_t cbKey, const uint8_t *pbBm,
                             uint32_t cbBm, const uint8_t *pbBefore, uint32_t cbBefore)
{
    uint64_t cb = (uint64_t)cbKey + cbBm + cbBefore;
    if (pu->cbHeld - ((uint64_t)pv->cbKey + pv->cbBmData + pv->cbBefore) + cb + pu->cver * sizeof(undo_ver) >
        ESEUNDO_BYTES_MAX)
        return JET_errVersionStoreOutOfMemory;
    uint8_t *pb = NULL;
    if (cb > 0) {
        pb = os_malloc((size_t)cb);
        if (pb == NULL)
            return JET_errOutOfMemory;
        if (cbKey)
            memcpy(pb, pbKey, cbKey);
        if (cbBm)
            memcpy(pb + cbKey, pbBm, cbBm);
        if (cbBefore)
            memcpy(pb + cbKey + cbBm, pbBefore, cbBefore);
    }
    ver_free(pu, pv);
    pv->pb = pb;
    pv->cbKey = cbKey;
    pv->cbBmData = cbBm;
    pv->cbBefore = cbBefore;
    pu->cbHeld += cb;
    if (pu->cbHeld > pu->stats.cbPeak)
        pu->stats.cbPeak = pu->cbHeld;
    return JET_errSuccess;
}

static JET_ERR too_big(eseundo *pu, const ESEPY_ESE_LOGRECORD *prec)
{
    return eseredo_fail(pu->pr, JET_errVersionStoreOutOfMemory, prec, prec ? prec->pgno : 0,
                        "the open transactions hold more than %u MiB of bookmarks and before-images: recovery "
                        "keeps at most that much for undo", ESEUNDO_BYTES_MAX >> 20);
}

/* Append a version to session ps. */
static JET_ERR ver_add(eseundo *pu, undo_sess *ps, const ESEPY_ESE_LOGRECORD *prec, uint32_t rceid, uint32_t level,
                       uint32_t op, undo_ver **ppv)
{
    if (pu->cbHeld + (pu->cver + 1) * sizeof(undo_ver) > ESEUNDO_BYTES_MAX)
        return too_big(pu, prec);
    if (ps->cver == ps->cverMax) {
        uint32_t c = ps->cverMax ? 2 * ps->cverMax : 64;
        undo_ver *rg = os_realloc(ps->rgver, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return JET_errOutOfMemory;
        ps->rgver = rg;
        ps->cverMax = c;
    }
    undo_ver *pv = &ps->rgver[ps->cver++];
    pu->cver++;
    memset(pv, 0, sizeof(*pv));
    pv->rceid = rceid;
    pv->level = level ? level : 1;
    pv->op = op;
    pv->pgnoFDP = prec->pgnoFDP;
    pv->objidFDP = prec->objidFDP;
    pv->pgno = prec->pgno;
    pv->iline = prec->iline;
    pv->dbtime = prec->dbtime;
    pv->lrtyp = prec->lrtyp;
    pv->lgpos = prec->lgpos;
    pv->fUnique = (prec->fPageFlags & 0x04u) != 0;
    pu->stats.cversion++;
    *ppv = pv;
    return JET_errSuccess;
}

/* ---- redo feeds the store ------------------------------------------------------------ */

JET_ERR eseundo_version(void *pvContext, const ESEREDO_VERSION *pver)
{
    eseundo *pu = pvContext;
    const ESEPY_ESE_LOGRECORD *prec = pver->prec;
    undo_sess *ps = sess_find(pu, pver->procid, 1);
    if (ps == NULL)
        return JET_errOutOfMemory;
    undo_ver *pv = NULL;
    JET_ERR err = JET_errSuccess;
    /* a non-unique tree's bookmark is key and data: Insert and FlagInsert* log both */
    const int fUnique = (prec->fPageFlags & 0x04u) != 0;
    switch (pver->op) {
    case ESEREDO_VER_INSERT:
    case ESEREDO_VER_FLAGINSERT:
    case ESEREDO_VER_FLAGINSERTREPLACE:
        if ((err = ver_add(pu, ps, prec, pver->rceid, pver->level, ESEREDO_VER_INSERT, &pv)) < 0)
            return err;
        pv->fBmData = 1;
        err = ver_set_bytes(pu, pv, pver->pbKey, pver->pbKey ? pver->cbKey : 0, fUnique ? NULL : prec->pbData,
                            fUnique ? 0 : prec->cbData, NULL, 0);
        if (err < 0 || pver->op != ESEREDO_VER_FLAGINSERTREPLACE)
            break;
        /* the data replaced: a second version under rceidReplace */
        if ((err = ver_add(pu, ps, prec, pver->rceidReplace, pver->level, ESEREDO_VER_REPLACE, &pv)) < 0)
            return err;
        if (!pver->fRedone || pver->pbBefore == NULL) {
            pv->fDeferred = 1;
            pu->stats.cdeferred++;
            break;
        }
        pv->fBmData = 1;
        err = ver_set_bytes(pu, pv, pver->pbKey, pver->pbKey ? pver->cbKey : 0, fUnique ? NULL : prec->pbData,
                            fUnique ? 0 : prec->cbData, pver->pbBefore, pver->cbBefore);
        break;
    case ESEREDO_VER_REPLACE:
    case ESEREDO_VER_FLAGDELETE:
        if ((err = ver_add(pu, ps, prec, pver->rceid, pver->level, pver->op, &pv)) < 0)
            return err;
        if (!pver->fRedone || pver->pbKey == NULL || (pver->op == ESEREDO_VER_REPLACE && pver->pbBefore == NULL)) {
            pv->fDeferred = 1; /* U3: the UndoInfo record brings bookmark and before-image */
            pu->stats.cdeferred++;
            break;
        }
        /* replace only happens in unique trees; a flag-delete in a non-unique tree is found by key */
        pv->fBmData = fUnique || (pver->op == ESEREDO_VER_REPLACE);
        err = ver_set_bytes(pu, pv, pver->pbKey, pver->cbKey, NULL, 0,
                            pver->op == ESEREDO_VER_REPLACE ? pver->pbBefore : NULL,
                            pver->op == ESEREDO_VER_REPLACE ? pver->cbBefore : 0);
        break;
    case ESEREDO_VER_DELTA:
    case ESEREDO_VER_DELTA64:
        if ((err = ver_add(pu, ps, prec, pver->rceid, pver->level, pver->op, &pv)) < 0)
            return err;
        pv->delta = pver->delta;
        pv->ibOffset = pver->ibOffset;
        pv->fBmData = 1;
        /* Delta logs its bookmark: key in pbKey, bookmark data in pbData */
        err = ver_set_bytes(pu, pv, prec->pbKey, prec->cbKey, prec->pbData, prec->cbData, NULL, 0);
        break;
    default:
        return JET_errSuccess;
    }
    if (err == JET_errVersionStoreOutOfMemory)
        return too_big(pu, prec);
    return err;
}

JET_ERR eseundo_undoinfo(eseundo *pu, const ESEPY_ESE_LOGRECORD *prec, uint32_t levelSession)
{
    if (levelSession == 0)
        return JET_errSuccess; /* nothing to roll back: the version would be useless */
    uint32_t op;
    if (prec->oper == ESEUNDO_OPER_REPLACE)
        op = ESEREDO_VER_REPLACE;
    else if (prec->oper == ESEUNDO_OPER_FLAGDELETE)
        op = ESEREDO_VER_FLAGDELETE;
    else
        return eseredo_fail(pu->pr, JET_errLogCorrupted, prec, prec->pgno,
                            "UndoInfo at " LGPOS_FMT " carries operation %u (only replace and flag-delete have one)",
                            LGPOS_ARGS(prec->lgpos), prec->oper);
    undo_sess *ps = sess_find(pu, prec->procid, 1);
    if (ps == NULL)
        return JET_errOutOfMemory;
    const uint32_t cbBm = prec->pb != NULL && prec->cb >= 48 ? le_get16(prec->pb + 46) : 0;
    const uint8_t *pbBm = prec->pbKey != NULL ? prec->pbKey + prec->cbKey : NULL;
    undo_ver *pv = ver_find(ps, prec->rceid);
    if (pv != NULL && !pv->fDeferred)
        return JET_errSuccess; /* the version exists already (redo built it from the page) */
    if (pv == NULL) {
        uint32_t level = prec->level < levelSession ? prec->level : levelSession;
        JET_ERR err = ver_add(pu, ps, prec, prec->rceid, level, op, &pv);
        if (err < 0)
            return err;
    }
    pu->stats.cundoinfo++;
    pv->fDeferred = 0;
    pv->fBmData = 1;
    pv->pgno = prec->pgno;
    pv->iline = prec->iline;
    JET_ERR err = ver_set_bytes(pu, pv, prec->pbKey, prec->cbKey, pbBm, cbBm,
                                op == ESEREDO_VER_REPLACE ? prec->pbData : NULL,
                                op == ESEREDO_VER_REPLACE ? prec->cbData : 0);
    if (err == JET_errVersionStoreOutOfMemory)
        return too_big(pu, prec);
    return err;
}

void eseundo_commit(eseundo *pu, uint32_t procid, uint32_t levelNew)
{
    undo_sess *ps = sess_find(pu, procid, 0);
    if (ps == NULL)
        return;
    if (levelNew == 0) {
        sess_clear(pu, ps);
        return;
    }
    for (uint32_t i = 0; i < ps->cver; i++)
        if (ps->rgver[i].level > levelNew)
            ps->rgver[i].level = levelNew;
}

void eseundo_rollback(eseundo *pu, uint32_t procid, uint32_t levelNew)
{
    undo_sess *ps = sess_find(pu, procid, 0);
    if (ps == NULL)
        return;
    for (uint32_t i = ps->cver; i-- > 0;)
        if (ps->rgver[i].level > levelNew)
            ver_remove(pu, ps, i);
}

void eseundo_discard_all(eseundo *pu)
{
    for (uint32_t i = 0; i < pu->csess; i++)
        sess_clear(pu, &pu->rgsess[i]);
}

/* ---- compensations ------------------------------------------------------------------- */

/* Apply the compensation of version pv (op) to line iline of pp.  *pfChanged:
 * the page changed (0 when the node already had it). */
static JET_ERR compensate(eseundo *pu, const undo_ver *pv, uint32_t op, esepage *pp, uint32_t iline, int *pfChanged)
{
    *pfChanged = 0;
    if (iline >= pp->cline)
        return JET_errRecordNotFound;
    const esepage_line *pl = &pp->rgline[iline];
    switch (op) {
    case ESEREDO_VER_INSERT:
        if (pl->fFlags & ESEPAGE_ND_DELETED)
            return JET_errSuccess;
        *pfChanged = 1;
        return esepage_set_flags(pp, iline, ESEPAGE_ND_DELETED, 0);
    case ESEREDO_VER_FLAGDELETE:
        if (!(pl->fFlags & ESEPAGE_ND_DELETED))
            return JET_errSuccess;
        *pfChanged = 1;
        return esepage_set_flags(pp, iline, 0, ESEPAGE_ND_DELETED);
    case ESEREDO_VER_REPLACE: {
        if (pv == NULL || pv->fDeferred)
            return JET_errFeatureNotAvailable;
        const uint8_t *pbCur;
        uint32_t cbCur;
        JET_ERR err = esepage_data(pp, iline, &pbCur, &cbCur);
        if (err < 0)
            return err;
        const uint8_t *pbBefore = pv->pb + pv->cbKey + pv->cbBmData;
        if (cbCur == pv->cbBefore && (cbCur == 0 || memcmp(pbCur, pbBefore, cbCur) == 0))
            return JET_errSuccess;
        *pfChanged = 1;
        return esepage_replace_data(pp, iline, pbBefore, pv->cbBefore);
    }
    case ESEREDO_VER_DELTA:
    case ESEREDO_VER_DELTA64: {
        if (pv == NULL)
            return JET_errFeatureNotAvailable;
        const uint8_t *pbCur;
        uint32_t cbCur;
        JET_ERR err = esepage_data(pp, iline, &pbCur, &cbCur);
        if (err < 0)
            return err;
        uint32_t cbInt = op == ESEREDO_VER_DELTA ? 4u : 8u;
        if (pv->ibOffset > cbCur || cbCur - pv->ibOffset < cbInt || cbCur > 2 * pu->cbPage)
            return JET_errDatabaseCorrupted;
        if (pv->delta == 0)
            return JET_errSuccess;
        memcpy(pu->pbData, pbCur, cbCur);
        if (cbInt == 4)
            le_put32(pu->pbData + pv->ibOffset,
                     (uint32_t)((int64_t)(int32_t)le_get32(pbCur + pv->ibOffset) - pv->delta));
        else
            le_put64(pu->pbData + pv->ibOffset, le_get64(pbCur + pv->ibOffset) - (uint64_t)pv->delta);
        *pfChanged = 1;
        return esepage_replace_data(pp, iline, pu->pbData, cbCur);
    }
    default:
        return JET_errInternalError;
    }
}

static uint32_t op_of_oper(uint32_t oper)
{
    switch (oper) {
    case ESEUNDO_OPER_INSERT: return ESEREDO_VER_INSERT;
    case ESEUNDO_OPER_REPLACE: return ESEREDO_VER_REPLACE;
    case ESEUNDO_OPER_FLAGDELETE: return ESEREDO_VER_FLAGDELETE;
    case ESEUNDO_OPER_DELTA: return ESEREDO_VER_DELTA;
    case ESEUNDO_OPER_DELTA64: return ESEREDO_VER_DELTA64;
    default: return 0;
    }
}

JET_ERR eseundo_redo_undo(eseundo *pu, const ESEPY_ESE_LOGRECORD *prec)
{
    const uint32_t op = op_of_oper(prec->oper);
    if (op == 0)
        return eseredo_fail(pu->pr, JET_errLogCorrupted, prec, prec->pgno,
                            "Undo at " LGPOS_FMT " carries an unknown operation %u", LGPOS_ARGS(prec->lgpos),
                            prec->oper);
    undo_sess *ps = sess_find(pu, prec->procid, 0);
    undo_ver *pv = ps ? ver_find(ps, prec->rceid) : NULL;
    esepage *pp = NULL;
    JET_ERR err = eseredo_check(pu->pr, prec, prec->pgno, prec->dbtimeBefore, 0, &pp);
    if (err < 0)
        return err;
    if (err > 0) {
        int fChanged = 0;
        err = compensate(pu, pv, op, pp, prec->iline, &fChanged);
        if (err < 0) {
            eseredo_page_release(pu->pr, pp, 0);
            if (err == JET_errFeatureNotAvailable)
                return eseredo_fail(pu->pr, err, prec, prec->pgno,
                                    "Undo at " LGPOS_FMT " rolls back the %s of rceid %u on page %u, but no version "
                                    "holds its %s (the change was made before the redo start, or its UndoInfo "
                                    "record is missing)", LGPOS_ARGS(prec->lgpos), op_name(op), prec->rceid,
                                    prec->pgno, op == ESEREDO_VER_REPLACE ? "before-image" : "delta");
            return eseredo_fail(pu->pr, err, prec, prec->pgno,
                                "Undo at " LGPOS_FMT ": line %u of page %u cannot take the compensation of a %s "
                                "(error %d)", LGPOS_ARGS(prec->lgpos), prec->iline, prec->pgno, op_name(op), err);
        }
        eseredo_page_done(pu->pr, prec, pp);
        pu->stats.cundoRecord++;
    } else {
        pu->stats.cundoRecordSkipped++;
    }
    if (pv != NULL)
        ver_remove(pu, ps, (uint32_t)(pv - ps->rgver));
    return JET_errSuccess;
}

/* ---- finding a node by its bookmark ----------------------------------------------------- */

/* Compare a (flat) search key with line iline's key (+ its data when fData):
 * shorter-is-less over the bytes.  pbScratch holds the line's key afterwards. */
static int cmp_line(eseundo *pu, const esepage *pp, uint32_t iline, const uint8_t *pb, uint32_t cb, int fData,
                    int *pfErr)
{
    uint32_t cbKey = 0;
    *pfErr = 0;
    if (esepage_key(pp, iline, pu->pbKey, ESEFMT_KEY_MAX, &cbKey) != JET_errSuccess) {
        *pfErr = 1;
        return 0;
    }
    uint32_t cbLine = cbKey;
    if (fData) {
        const uint8_t *pbData;
        uint32_t cbData;
        if (esepage_data(pp, iline, &pbData, &cbData) < 0 || cbData > pu->cbPage) {
            *pfErr = 1;
            return 0;
        }
        memcpy(pu->pbKey + cbKey, pbData, cbData);
        cbLine += cbData;
    }
    uint32_t cbMin = cb < cbLine ? cb : cbLine;
    int c = cbMin ? memcmp(pb, pu->pbKey, cbMin) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return cb < cbLine ? -1 : cb > cbLine ? 1 : 0;
}

/* Does line iline hold the version's bookmark? */
static int line_matches(eseundo *pu, const esepage *pp, uint32_t iline, const undo_ver *pv)
{
    uint32_t cbKey = 0;
    if (esepage_key(pp, iline, pu->pbKey, ESEFMT_KEY_MAX, &cbKey) != JET_errSuccess || cbKey != pv->cbKey ||
        (cbKey && memcmp(pu->pbKey, pv->pb, cbKey) != 0))
        return 0;
    if (pv->fUnique || !pv->fBmData)
        return 1;
    const uint8_t *pbData;
    uint32_t cbData;
    if (esepage_data(pp, iline, &pbData, &cbData) < 0 || cbData != pv->cbBmData)
        return 0;
    return cbData == 0 || memcmp(pbData, pv->pb + pv->cbKey, cbData) == 0;
}

/* Search the leaf chain from page pgno for the version's node.  Returns 1
 * (found: *ppp pinned, *piline), 0 (not found), < 0 on error. */
static JET_ERR scan_leaves(eseundo *pu, const undo_ver *pv, uint32_t pgno, int fStopPastKey, uint32_t *pcvisit,
                           esepage **ppp, uint32_t *piline)
{
    const int fData = !pv->fUnique && pv->fBmData;
    while (pgno != 0 && (*pcvisit)++ < SEEK_PAGES_MAX) {
        esepage *pp = NULL;
        JET_ERR err = eseredo_page_get(pu->pr, pgno, &pp, NULL);
        if (err < 0)
            return err;
        if (pp->objidFDP != pv->objidFDP || !(pp->fFlags & ESEPAGE_PG_LEAF)) {
            eseredo_page_release(pu->pr, pp, 0);
            return 0;
        }
        int fPast = 0;
        for (uint32_t i = 0; i < pp->cline; i++) {
            if (line_matches(pu, pp, i, pv)) {
                *ppp = pp;
                *piline = i;
                return 1;
            }
            int fErr;
            if (fStopPastKey && cmp_line(pu, pp, i, pv->pb, pv->cbKey + (fData ? pv->cbBmData : 0), fData,
                                         &fErr) < 0 && !fErr) {
                fPast = 1;
                break;
            }
        }
        uint32_t pgnoNext = pp->pgnoNext;
        eseredo_page_release(pu->pr, pp, 0);
        if (fPast)
            return 0;
        pgno = pgnoNext;
    }
    return 0;
}

/* Find the node of version pv in its tree: descend from the root by the
 * bookmark (ties to the left, then along the leaf chain), else the page and
 * line the record named, else every leaf of the tree. */
static JET_ERR seek_bookmark(eseundo *pu, const undo_ver *pv, esepage **ppp, uint32_t *piline)
{
    const int fData = !pv->fUnique && pv->fBmData;
    const uint32_t cbSearch = pv->cbKey + (fData ? pv->cbBmData : 0);
    uint32_t cvisit = 0;
    uint32_t pgno = pv->pgnoFDP, pgnoLeftmost = 0;
    JET_ERR err;
    for (uint32_t depth = 0; pgno != 0 && depth < ESEFMT_DEPTH_MAX; depth++) {
        esepage *pp = NULL;
        if ((err = eseredo_page_get(pu->pr, pgno, &pp, NULL)) < 0)
            return err;
        cvisit++;
        if (pp->objidFDP != pv->objidFDP || pp->cline == 0) {
            eseredo_page_release(pu->pr, pp, 0);
            break;
        }
        if (pp->fFlags & ESEPAGE_PG_LEAF) {
            eseredo_page_release(pu->pr, pp, 0);
            if (pgnoLeftmost == 0)
                pgnoLeftmost = pgno;
            err = scan_leaves(pu, pv, pgno, 1, &cvisit, ppp, piline);
            if (err != 0)
                return err;
            break;
        }
        /* a parent page: the first separator >= the bookmark (the last line catches the rest) */
        uint32_t iChild = pp->cline - 1;
        for (uint32_t i = 0; i + 1 < pp->cline; i++) {
            /* the separator compares with the flat bookmark (pv->pb: key, then the data of a
             * non-unique tree); ties go left, the leaf chain covers the other convention */
            int fErr;
            if (cmp_line(pu, pp, i, pv->pb, cbSearch, 0, &fErr) <= 0 && !fErr) {
                iChild = i;
                break;
            }
        }
        const uint8_t *pbChild;
        uint32_t cbChild;
        uint32_t pgnoChild = 0, pgnoFirst = 0;
        if (esepage_data(pp, iChild, &pbChild, &cbChild) >= 0 && cbChild >= 4)
            pgnoChild = le_get32(pbChild);
        if (pgnoLeftmost == 0 && esepage_data(pp, 0, &pbChild, &cbChild) >= 0 && cbChild >= 4)
            pgnoFirst = le_get32(pbChild);
        eseredo_page_release(pu->pr, pp, 0);
        if (pgnoLeftmost == 0 && pgnoFirst != 0 && depth + 1 < ESEFMT_DEPTH_MAX) {
            /* remember the way to the leftmost leaf, for the last resort */
            uint32_t pg = pgnoFirst;
            for (uint32_t d = depth + 1; d < ESEFMT_DEPTH_MAX && pg != 0; d++) {
                esepage *pq = NULL;
                if (eseredo_page_get(pu->pr, pg, &pq, NULL) < 0)
                    break;
                int fLeaf = (pq->fFlags & ESEPAGE_PG_LEAF) != 0 && pq->objidFDP == pv->objidFDP;
                uint32_t pgDown = 0;
                if (!fLeaf && pq->cline > 0 && esepage_data(pq, 0, &pbChild, &cbChild) >= 0 && cbChild >= 4)
                    pgDown = le_get32(pbChild);
                eseredo_page_release(pu->pr, pq, 0);
                if (fLeaf) {
                    pgnoLeftmost = pg;
                    break;
                }
                pg = pgDown;
            }
        }
        pgno = pgnoChild;
    }
    /* the page and line the record named */
    if (pv->pgno != 0) {
        esepage *pp = NULL;
        if ((err = eseredo_page_get(pu->pr, pv->pgno, &pp, NULL)) < 0)
            return err;
        if (pp->objidFDP == pv->objidFDP && pv->iline < pp->cline && line_matches(pu, pp, pv->iline, pv)) {
            *ppp = pp;
            *piline = pv->iline;
            return 1;
        }
        eseredo_page_release(pu->pr, pp, 0);
    }
    /* last resort: every leaf */
    if (pgnoLeftmost != 0)
        return scan_leaves(pu, pv, pgnoLeftmost, 0, &cvisit, ppp, piline);
    return 0;
}

/* ---- the end of the logs ---------------------------------------------------------------- */

static int cmp_procid(const void *a, const void *b)
{
    uint32_t x = ((const undo_sess *)a)->procid, y = ((const undo_sess *)b)->procid;
    return x < y ? -1 : x > y;
}

static JET_ERR undo_one(eseundo *pu, const undo_sess *ps, const undo_ver *pv, uint64_t *pdbtimeMax)
{
    ESEPY_ESE_LOGRECORD rec; /* names the version's record in a refusal */
    memset(&rec, 0, sizeof(rec));
    rec.cbStruct = sizeof(rec);
    rec.lrtyp = pv->lrtyp;
    rec.lgpos = pv->lgpos;
    rec.dbtime = pv->dbtime;
    rec.dbtimeBefore = ESEREDO_DBTIME_NIL;
    if (pv->fDeferred && pv->op == ESEREDO_VER_REPLACE)
        return eseredo_fail(pu->pr, JET_errFeatureNotAvailable, &rec, pv->pgno,
                            "session %u: the %s at " LGPOS_FMT " (rceid %u, page %u) must be rolled back, but the "
                            "page already held it and no UndoInfo record gave its before-image: nothing can "
                            "restore the data it replaced", ps->procid, EsepyEseLrtypName(pv->lrtyp),
                            LGPOS_ARGS(pv->lgpos), pv->rceid, pv->pgno);
    esepage *pp = NULL;
    uint32_t iline = 0;
    JET_ERR err;
    if (pv->fDeferred) {
        /* a flag-delete without its UndoInfo: only the line the record named, if the page
         * has not changed since */
        if ((err = eseredo_page_get(pu->pr, pv->pgno, &pp, NULL)) < 0)
            return eseredo_fail(pu->pr, err, &rec, pv->pgno, "page %u cannot be read (error %d)", pv->pgno, err);
        if (pp->dbtime != pv->dbtime || pv->iline >= pp->cline) {
            eseredo_page_release(pu->pr, pp, 0);
            return eseredo_fail(pu->pr, JET_errFeatureNotAvailable, &rec, pv->pgno,
                                "session %u: the FlagDelete at " LGPOS_FMT " (rceid %u, page %u) must be rolled "
                                "back, but no UndoInfo record names its node and the page changed since",
                                ps->procid, LGPOS_ARGS(pv->lgpos), pv->rceid, pv->pgno);
        }
        iline = pv->iline;
        err = 1;
    } else {
        err = seek_bookmark(pu, pv, &pp, &iline);
    }
    if (err < 0)
        return eseredo_fail(pu->pr, err, &rec, pv->pgno,
                            "session %u: looking for the node of the %s at " LGPOS_FMT " in the tree at page %u "
                            "failed (error %d)", ps->procid, EsepyEseLrtypName(pv->lrtyp), LGPOS_ARGS(pv->lgpos),
                            pv->pgnoFDP, err);
    if (err == 0)
        return eseredo_fail(pu->pr, JET_errRecordNotFound, &rec, pv->pgno,
                            "session %u: the %s at " LGPOS_FMT " (rceid %u) must be rolled back, but its node is "
                            "not in the tree at page %u (objid %u)", ps->procid, EsepyEseLrtypName(pv->lrtyp),
                            LGPOS_ARGS(pv->lgpos), pv->rceid, pv->pgnoFDP, pv->objidFDP);
    int fChanged = 0;
    err = compensate(pu, pv, pv->op, pp, iline, &fChanged);
    if (err < 0) {
        uint32_t pgno = pp->pgno;
        eseredo_page_release(pu->pr, pp, 0);
        return eseredo_fail(pu->pr, err, &rec, pgno,
                            "session %u: rolling back the %s at " LGPOS_FMT " on line %u of page %u failed "
                            "(error %d)", ps->procid, EsepyEseLrtypName(pv->lrtyp), LGPOS_ARGS(pv->lgpos), iline,
                            pgno, err);
    }
    if (fChanged) {
        pp->dbtime = ++*pdbtimeMax; /* no log is written: a dbtime no record can reach */
    } else {
        pu->stats.cundoneNoChange++;
    }
    eseredo_page_release(pu->pr, pp, fChanged);
    pu->stats.cundone++;
    return JET_errSuccess;
}

JET_ERR eseundo_end_all(eseundo *pu, uint64_t *pdbtimeMax)
{
    if (pu->csess > 1)
        qsort(pu->rgsess, pu->csess, sizeof(*pu->rgsess), cmp_procid);
    for (uint32_t i = 0; i < pu->csess; i++) {
        undo_sess *ps = &pu->rgsess[i];
        if (ps->cver == 0)
            continue;
        pu->stats.csessionUndone++;
        for (uint32_t j = ps->cver; j-- > 0;) {
            JET_ERR err = undo_one(pu, ps, &ps->rgver[j], pdbtimeMax);
            if (err < 0)
                return err;
            ver_remove(pu, ps, j);
        }
    }
    return JET_errSuccess;
}
