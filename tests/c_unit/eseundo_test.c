/* Unit tests of the recovery version store (csrc/esefmt/eseundo.c) on a real
 * page of the SRUM sample: versions fed as eseredo's hook would, UndoInfo and
 * Undo records, Commit / Rollback, and the rollback at the end of the logs
 * (newest first, found by bookmark, no change when the node already has the
 * compensation, a deferred replace without its before-image refused). */
#include "unit.h"
#include "eseundo.h"

#include <stdint.h>

static const char *sample_dir(void)
{
    const char *sz = getenv("ESEPY_SAMPLES");
    if (sz == NULL || sz[0] == '\0') {
        fprintf(stderr, "ESEPY_SAMPLES is not set: it must name the decompressed samples of tests/data/ese\n");
        return NULL;
    }
    return sz;
}

typedef struct {
    ESEPY_ESE_FILE       *pdb;
    ESEPY_ESE_RECOVERINFO info;
    eseredo              *pr;
    eseundo              *pu;
    char                  szDb[1024], szTmp[1100];
    uint32_t              pgno, objid, iline;
    uint8_t               rgbKey[512];
    uint32_t              cbKey;
    uint8_t               rgbData[4096];
    uint32_t              cbData;
    uint64_t              dbtime;
} fixture;

/* Open the sample and find a leaf page with a node whose key is unique on it
 * and whose data holds at least 8 bytes. */
static int fx_open(fixture *f, const char *szName)
{
    memset(f, 0, sizeof(*f));
    const char *dir = sample_dir();
    if (dir == NULL)
        return 0;
    snprintf(f->szDb, sizeof(f->szDb), "%s/srum_win11_dirty/SRUDB.dat", dir);
    snprintf(f->szTmp, sizeof(f->szTmp), "%s/%s.tmp", unit_dir(szName), szName);
    if (EsepyEseOpen(f->szDb, 0, &f->pdb) < 0)
        return 0;
    f->info.cbStruct = sizeof(f->info);
    if (eseredo_open(f->pdb, f->szDb, f->szTmp, 1000, &f->info, &f->pr) < 0 || eseundo_open(f->pr, &f->info, &f->pu) < 0)
        return 0;
    for (uint32_t pgno = 3; pgno < 600; pgno++) {
        esepage *pp = NULL;
        if (eseredo_page_get(f->pr, pgno, &pp, NULL) < 0)
            continue;
        int fOk = (pp->fFlags & ESEPAGE_PG_LEAF) && !(pp->fFlags & ESEPAGE_PG_SPACE) && pp->cline >= 3;
        if (fOk) {
            const uint8_t *pb;
            uint32_t cb, cbKey;
            fOk = esepage_key(pp, 1, f->rgbKey, sizeof(f->rgbKey), &cbKey) == JET_errSuccess &&
                  esepage_data(pp, 1, &pb, &cb) >= 0 && cb >= 8 && !(pp->rgline[1].fFlags & ESEPAGE_ND_DELETED);
            for (uint32_t i = 0; fOk && i < pp->cline; i++) {
                uint8_t rgb[512];
                uint32_t cbOther;
                if (i != 1 && esepage_key(pp, i, rgb, sizeof(rgb), &cbOther) == JET_errSuccess && cbOther == cbKey &&
                    memcmp(rgb, f->rgbKey, cbKey) == 0)
                    fOk = 0;
            }
            if (fOk) {
                f->pgno = pgno;
                f->objid = pp->objidFDP;
                f->iline = 1;
                f->cbKey = cbKey;
                memcpy(f->rgbData, pb, cb);
                f->cbData = cb;
                f->dbtime = pp->dbtime;
            }
        }
        eseredo_page_release(f->pr, pp, 0);
        if (fOk)
            return 1;
    }
    return 0;
}

static void fx_close(fixture *f)
{
    eseundo_close(f->pu);
    if (f->pr != NULL) {
        eseredo_close(f->pr);
        (void)os_unlink(f->szTmp);
    }
    EsepyEseClose(f->pdb);
}

/* A record naming the fixture's node (unique tree, versioned). */
static void fx_rec(const fixture *f, ESEPY_ESE_LOGRECORD *prec, uint32_t lrtyp, uint32_t procid)
{
    memset(prec, 0, sizeof(*prec));
    prec->cbStruct = sizeof(*prec);
    prec->lrtyp = lrtyp;
    prec->procid = procid;
    prec->dbid = 1;
    prec->pgno = f->pgno;
    prec->iline = f->iline;
    prec->pgnoFDP = f->pgno; /* the leaf stands for its tree: the search starts (and ends) there */
    prec->objidFDP = f->objid;
    prec->fPageFlags = 0x05;
    prec->level = 1;
    prec->dbtime = f->dbtime;
    prec->dbtimeBefore = ESEREDO_DBTIME_NIL;
}

static JET_ERR feed(fixture *f, uint32_t op, uint32_t procid, uint32_t rceid, int fRedone, const void *pvBefore,
                    uint32_t cbBefore, int64_t delta)
{
    ESEPY_ESE_LOGRECORD rec;
    fx_rec(f, &rec, op == ESEREDO_VER_DELTA ? ESEPY_ESE_LRTYP_DELTA : ESEPY_ESE_LRTYP_REPLACE, procid);
    if (op == ESEREDO_VER_DELTA) {
        rec.pbKey = f->rgbKey;
        rec.cbKey = f->cbKey;
    }
    ESEREDO_VERSION v;
    memset(&v, 0, sizeof(v));
    v.op = op;
    v.prec = &rec;
    v.procid = procid;
    v.rceid = rceid;
    v.level = 1;
    v.pgno = f->pgno;
    v.iline = f->iline;
    v.pgnoFDP = f->pgno;
    v.objidFDP = f->objid;
    v.fRedone = fRedone;
    v.pbKey = fRedone ? f->rgbKey : NULL;
    v.cbKey = fRedone ? f->cbKey : 0;
    v.pbBefore = pvBefore;
    v.cbBefore = cbBefore;
    v.delta = delta;
    v.ibOffset = 4;
    return eseundo_version(f->pu, &v);
}

static int node_state(fixture *f, uint8_t *pbData, uint32_t *pcb, uint32_t *pfFlags, uint64_t *pdbtime)
{
    esepage *pp = NULL;
    if (eseredo_page_get(f->pr, f->pgno, &pp, NULL) < 0)
        return 0;
    const uint8_t *pb;
    uint32_t cb;
    int fOk = esepage_data(pp, f->iline, &pb, &cb) >= 0;
    if (fOk) {
        memcpy(pbData, pb, cb);
        *pcb = cb;
        *pfFlags = pp->rgline[f->iline].fFlags;
        *pdbtime = pp->dbtime;
    }
    eseredo_page_release(f->pr, pp, 0);
    return fOk;
}

TEST(replaces_roll_back_newest_first)
{
    fixture f;
    CHECK(fx_open(&f, "undo_replace"));
    uint8_t b1[64], b2[64];
    memset(b1, 0xB1, sizeof(b1));
    memset(b2, 0xB2, sizeof(b2));
    /* two replaces of one node in session 7: the first found b1, the second b2 */
    CHECK_ERR(feed(&f, ESEREDO_VER_REPLACE, 7, 100, 1, b1, sizeof(b1), 0), JET_errSuccess);
    CHECK_ERR(feed(&f, ESEREDO_VER_REPLACE, 7, 101, 1, b2, sizeof(b2), 0), JET_errSuccess);
    uint64_t dbtimeMax = 50000;
    CHECK_ERR(eseundo_end_all(f.pu, &dbtimeMax), JET_errSuccess);
    uint8_t rgb[4096];
    uint32_t cb = 0, fFlags = 0;
    uint64_t dbtime = 0;
    CHECK(node_state(&f, rgb, &cb, &fFlags, &dbtime));
    CHECK(cb == sizeof(b1) && memcmp(rgb, b1, cb) == 0); /* the oldest before-image wins */
    CHECK(dbtimeMax == 50002 && dbtime == 50002);         /* two changes, two new dbtimes */
    ESEUNDO_STATS st;
    eseundo_stats(f.pu, &st);
    CHECK(st.cundone == 2 && st.csessionUndone == 1 && st.cundoneNoChange == 0);
    fx_close(&f);
}

TEST(commit0_discards_and_rollback_drops)
{
    fixture f;
    CHECK(fx_open(&f, "undo_commit"));
    uint8_t b1[16];
    memset(b1, 0xC1, sizeof(b1));
    CHECK_ERR(feed(&f, ESEREDO_VER_REPLACE, 3, 1, 1, b1, sizeof(b1), 0), JET_errSuccess);
    eseundo_commit(f.pu, 3, 0);               /* Commit0 */
    CHECK_ERR(feed(&f, ESEREDO_VER_REPLACE, 4, 2, 1, b1, sizeof(b1), 0), JET_errSuccess);
    eseundo_rollback(f.pu, 4, 0);             /* Rollback: its Undo records compensated */
    uint64_t dbtimeMax = 60000;
    CHECK_ERR(eseundo_end_all(f.pu, &dbtimeMax), JET_errSuccess);
    uint8_t rgb[4096];
    uint32_t cb = 0, fFlags = 0;
    uint64_t dbtime = 0;
    CHECK(node_state(&f, rgb, &cb, &fFlags, &dbtime));
    CHECK(cb == f.cbData && memcmp(rgb, f.rgbData, cb) == 0 && dbtime == f.dbtime && dbtimeMax == 60000);
    fx_close(&f);
}

TEST(delta_is_subtracted_and_flag_delete_cleared)
{
    fixture f;
    CHECK(fx_open(&f, "undo_delta"));
    CHECK_ERR(feed(&f, ESEREDO_VER_DELTA, 5, 10, 1, NULL, 0, 7), JET_errSuccess);
    /* a flag-delete whose node does not carry the flag any more: nothing to change */
    CHECK_ERR(feed(&f, ESEREDO_VER_FLAGDELETE, 5, 11, 1, NULL, 0, 0), JET_errSuccess);
    uint64_t dbtimeMax = 70000;
    CHECK_ERR(eseundo_end_all(f.pu, &dbtimeMax), JET_errSuccess);
    uint8_t rgb[4096];
    uint32_t cb = 0, fFlags = 0;
    uint64_t dbtime = 0;
    CHECK(node_state(&f, rgb, &cb, &fFlags, &dbtime));
    CHECK(cb == f.cbData);
    CHECK(le_get32(rgb + 4) == le_get32(f.rgbData + 4) - 7u);
    CHECK(memcmp(rgb + 8, f.rgbData + 8, cb - 8) == 0 && memcmp(rgb, f.rgbData, 4) == 0);
    ESEUNDO_STATS st;
    eseundo_stats(f.pu, &st);
    CHECK(st.cundone == 2 && st.cundoneNoChange == 1 && dbtimeMax == 70001);
    fx_close(&f);
}

TEST(deferred_replace_needs_its_undoinfo)
{
    fixture f;
    CHECK(fx_open(&f, "undo_deferred"));
    /* the page had the replace already: the version waits for its UndoInfo */
    CHECK_ERR(feed(&f, ESEREDO_VER_REPLACE, 9, 200, 0, NULL, 0, 0), JET_errSuccess);
    uint64_t dbtimeMax = 80000;
    CHECK_ERR(eseundo_end_all(f.pu, &dbtimeMax), JET_errFeatureNotAvailable);
    CHECK(strstr(f.info.szReason, "UndoInfo") != NULL && strstr(f.info.szReason, "rceid 200") != NULL);
    fx_close(&f);

    CHECK(fx_open(&f, "undo_deferred2"));
    CHECK_ERR(feed(&f, ESEREDO_VER_REPLACE, 9, 200, 0, NULL, 0, 0), JET_errSuccess);
    ESEPY_ESE_LOGRECORD rec;
    fx_rec(&f, &rec, ESEPY_ESE_LRTYP_UNDOINFO, 9);
    uint8_t rgbRec[600];
    uint8_t before[24];
    memset(before, 0xD9, sizeof(before));
    memset(rgbRec, 0, sizeof(rgbRec));
    le_put16(rgbRec + 46, 0); /* no bookmark data (unique tree) */
    memcpy(rgbRec + 56, f.rgbKey, f.cbKey);
    memcpy(rgbRec + 56 + f.cbKey, before, sizeof(before));
    rec.pb = rgbRec;
    rec.cb = 56 + f.cbKey + (uint32_t)sizeof(before);
    rec.rceid = 200;
    rec.oper = ESEUNDO_OPER_REPLACE;
    rec.pbKey = rgbRec + 56;
    rec.cbKey = f.cbKey;
    rec.pbData = rgbRec + 56 + f.cbKey;
    rec.cbData = sizeof(before);
    CHECK_ERR(eseundo_undoinfo(f.pu, &rec, 1), JET_errSuccess);
    dbtimeMax = 80000;
    CHECK_ERR(eseundo_end_all(f.pu, &dbtimeMax), JET_errSuccess);
    uint8_t rgb[4096];
    uint32_t cb = 0, fFlags = 0;
    uint64_t dbtime = 0;
    CHECK(node_state(&f, rgb, &cb, &fFlags, &dbtime));
    CHECK(cb == sizeof(before) && memcmp(rgb, before, cb) == 0);
    fx_close(&f);
}

TEST(undo_record_redone_by_the_dbtime_rule)
{
    fixture f;
    CHECK(fx_open(&f, "undo_record"));
    /* an insert version, then the Undo record its rollback logged: the page is one
     * change behind, so the compensation (flag-delete) is redone and the version dropped */
    ESEPY_ESE_LOGRECORD ins;
    fx_rec(&f, &ins, ESEPY_ESE_LRTYP_INSERT, 2);
    ins.pbKey = f.rgbKey;
    ins.cbKey = f.cbKey;
    ESEREDO_VERSION v;
    memset(&v, 0, sizeof(v));
    v.op = ESEREDO_VER_INSERT;
    v.prec = &ins;
    v.procid = 2;
    v.rceid = 300;
    v.level = 1;
    v.pbKey = f.rgbKey;
    v.cbKey = f.cbKey;
    CHECK_ERR(eseundo_version(f.pu, &v), JET_errSuccess);
    ESEPY_ESE_LOGRECORD undo;
    fx_rec(&f, &undo, ESEPY_ESE_LRTYP_UNDO, 2);
    undo.rceid = 300;
    undo.oper = ESEUNDO_OPER_INSERT;
    undo.dbtimeBefore = f.dbtime;
    undo.dbtime = f.dbtime + 1000000;
    CHECK_ERR(eseundo_redo_undo(f.pu, &undo), JET_errSuccess);
    uint8_t rgb[4096];
    uint32_t cb = 0, fFlags = 0;
    uint64_t dbtime = 0;
    CHECK(node_state(&f, rgb, &cb, &fFlags, &dbtime));
    CHECK((fFlags & ESEPAGE_ND_DELETED) && dbtime == f.dbtime + 1000000);
    /* replayed again (a second recovery): the page has it, nothing changes */
    CHECK_ERR(eseundo_redo_undo(f.pu, &undo), JET_errSuccess);
    uint64_t dbtimeMax = 1;
    CHECK_ERR(eseundo_end_all(f.pu, &dbtimeMax), JET_errSuccess);
    ESEUNDO_STATS st;
    eseundo_stats(f.pu, &st);
    CHECK(st.cundoRecord == 1 && st.cundoRecordSkipped == 1 && st.cundone == 0 && dbtimeMax == 1);
    fx_close(&f);
}

TEST(a_node_that_is_gone_is_named)
{
    fixture f;
    CHECK(fx_open(&f, "undo_gone"));
    uint8_t key[8] = { 0xFF, 0xFE, 0xFD, 0xFC, 1, 2, 3, 4 };
    ESEPY_ESE_LOGRECORD ins;
    fx_rec(&f, &ins, ESEPY_ESE_LRTYP_INSERT, 2);
    ins.iline = 0;
    ESEREDO_VERSION v;
    memset(&v, 0, sizeof(v));
    v.op = ESEREDO_VER_INSERT;
    v.prec = &ins;
    v.procid = 2;
    v.rceid = 301;
    v.level = 1;
    v.pbKey = key;
    v.cbKey = sizeof(key);
    CHECK_ERR(eseundo_version(f.pu, &v), JET_errSuccess);
    uint64_t dbtimeMax = 1;
    CHECK_ERR(eseundo_end_all(f.pu, &dbtimeMax), JET_errRecordNotFound);
    CHECK(strstr(f.info.szReason, "rceid 301") != NULL && strstr(f.info.szReason, "not in the tree") != NULL);
    fx_close(&f);
}

UNIT_MAIN()
