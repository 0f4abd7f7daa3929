/* Unit tests of the redo of PageMove and Scrub (csrc/esefmt/esesplit.c
 * through eseredo_apply) on real pages of the SRUM sample: a leaf with both
 * siblings moved to a page past the old end of the file (after an ExtendDB),
 * its parent's pointer and its siblings' links fixed, every page stamped with
 * the record's dbtime, and a second replay changing nothing (the dbtime
 * rule); a scrub of a leaf, replayed twice; a record that does not decode
 * stops with JET_errLogCorrupted naming the record.  The algorithms alone
 * are tested on synthetic pages in esesplit_test.c. */
#include "unit.h"
#include "esesplit.h"

#include <stdint.h>

typedef struct {
    ESEPY_ESE_FILE       *pdb;
    ESEPY_ESE_RECOVERINFO info;
    eseredo              *pr;
    char                  szDb[1024], szTmp[1100];
} fixture;

static int fx_open(fixture *f, const char *szName)
{
    memset(f, 0, sizeof(*f));
    const char *dir = getenv("ESEPY_SAMPLES");
    if (dir == NULL || dir[0] == '\0') {
        fprintf(stderr, "ESEPY_SAMPLES is not set: it must name the decompressed samples of tests/data/ese\n");
        return 0;
    }
    snprintf(f->szDb, sizeof(f->szDb), "%s/srum_win11_dirty/SRUDB.dat", dir);
    snprintf(f->szTmp, sizeof(f->szTmp), "%s/%s.tmp", unit_dir(szName), szName);
    if (EsepyEseOpen(f->szDb, 0, &f->pdb) < 0)
        return 0;
    f->info.cbStruct = sizeof(f->info);
    return eseredo_open(f->pdb, f->szDb, f->szTmp, 1000, &f->info, &f->pr) >= 0;
}

static void fx_close(fixture *f)
{
    if (f->pr != NULL) {
        eseredo_close(f->pr);
        (void)os_unlink(f->szTmp);
    }
    EsepyEseClose(f->pdb);
}

/* The encoded bytes of page pgno as the cache holds it. */
static int page_bytes(fixture *f, uint32_t pgno, uint8_t *pb)
{
    esepage *pp = NULL;
    if (eseredo_page_get(f->pr, pgno, &pp, NULL) < 0)
        return 0;
    int fOk = esepage_encode(pp, pb) >= 0;
    eseredo_page_release(f->pr, pp, 0);
    return fOk;
}

static uint64_t page_dbtime(fixture *f, uint32_t pgno)
{
    esepage *pp = NULL;
    if (eseredo_page_get(f->pr, pgno, &pp, NULL) < 0)
        return 0;
    uint64_t dbtime = pp->dbtime;
    eseredo_page_release(f->pr, pp, 0);
    return dbtime;
}

typedef struct {
    uint32_t pgno, pgnoLeft, pgnoRight, pgnoParent, ilineParent, cbPage;
} move_case;

/* A leaf with both siblings whose parent (an internal page of the same tree)
 * points to it. */
static int find_move_case(fixture *f, move_case *pc)
{
    memset(pc, 0, sizeof(*pc));
    for (uint32_t pgnoParent = 3; pgnoParent < 2000 && pc->pgno == 0; pgnoParent++) {
        esepage *pp = NULL;
        if (eseredo_page_get(f->pr, pgnoParent, &pp, NULL) < 0)
            continue;
        if ((pp->fFlags & ESEPAGE_PG_PARENT) && !(pp->fFlags & ESEPAGE_PG_SPACE) && pp->cline >= 3) {
            for (uint32_t i = 1; i + 1 < pp->cline && pc->pgno == 0; i++) {
                const esepage_line *pl = &pp->rgline[i];
                if (pl->cbData != 4)
                    continue;
                uint32_t pgnoChild = le_get32(pl->pb + pl->cbSuffix);
                esepage *pc2 = NULL;
                if (eseredo_page_get(f->pr, pgnoChild, &pc2, NULL) < 0)
                    continue;
                if ((pc2->fFlags & ESEPAGE_PG_LEAF) && pc2->pgnoPrev != 0 && pc2->pgnoNext != 0 && pc2->cline >= 2) {
                    pc->pgno = pgnoChild;
                    pc->pgnoLeft = pc2->pgnoPrev;
                    pc->pgnoRight = pc2->pgnoNext;
                    pc->pgnoParent = pgnoParent;
                    pc->ilineParent = i;
                    pc->cbPage = pc2->cbPage;
                }
                eseredo_page_release(f->pr, pc2, 0);
            }
        }
        eseredo_page_release(f->pr, pp, 0);
    }
    return pc->pgno != 0;
}

typedef struct {
    uint8_t *pb;
    ESEPY_ESE_LOGRECORD rec;
} rec_buf;

/* A PageMove of pc->pgno to pgnoDest at dbtime, the befores taken from the pages. */
static int mk_move(fixture *f, const move_case *pc, uint32_t pgnoDest, uint64_t dbtime, rec_buf *pl)
{
    uint8_t *pbPage = malloc(pc->cbPage);
    pl->pb = calloc(1, 96 + (size_t)pc->cbPage);
    if (pbPage == NULL || pl->pb == NULL || !page_bytes(f, pc->pgno, pbPage)) {
        free(pbPage);
        return 0;
    }
    uint8_t *p = pl->pb;
    const uint32_t cbHdr = pc->cbPage <= 8192 ? 40u : 80u;
    p[0] = ESEPY_ESE_LRTYP_PAGEMOVE;
    p[3] = 1;
    le_put32(p + 4, pc->pgno);
    le_put64(p + 8, dbtime);
    le_put64(p + 16, page_dbtime(f, pc->pgno));
    le_put32(p + 32, pgnoDest);
    le_put32(p + 36, pc->pgnoLeft);
    le_put32(p + 40, pc->pgnoRight);
    le_put32(p + 44, pc->pgnoParent);
    le_put64(p + 48, page_dbtime(f, pc->pgnoLeft));
    le_put64(p + 56, page_dbtime(f, pc->pgnoRight));
    le_put64(p + 64, page_dbtime(f, pc->pgnoParent));
    le_put32(p + 76, le_get32(pbPage + 24));
    le_put32(p + 80, pc->ilineParent);
    uint32_t cbHeader = cbHdr + le_get16(pbPage + 32), cbTrailer = 4u * (le_get16(pbPage + 34) & 0xFFFu);
    le_put32(p + 88, cbHeader);
    le_put32(p + 92, cbTrailer);
    memcpy(p + 96, pbPage, cbHeader);
    memcpy(p + 96 + cbHeader, pbPage + pc->cbPage - cbTrailer, cbTrailer);
    free(pbPage);
    memset(&pl->rec, 0, sizeof(pl->rec));
    pl->rec.cbStruct = sizeof(pl->rec);
    pl->rec.lrtyp = ESEPY_ESE_LRTYP_PAGEMOVE;
    pl->rec.lgpos.lGeneration = 1;
    pl->rec.pb = p;
    pl->rec.cb = 96 + cbHeader + cbTrailer;
    pl->rec.pgno = pc->pgno;
    pl->rec.dbid = 1;
    pl->rec.dbtime = dbtime;
    pl->rec.dbtimeBefore = le_get64(p + 16);
    pl->rec.pgnoNew = pgnoDest;
    return 1;
}

TEST(page_move_redo_on_real_pages_and_its_replay_changes_nothing)
{
    fixture f;
    CHECK(fx_open(&f, "move"));
    move_case mc;
    CHECK(find_move_case(&f, &mc));
    esepage *pp = NULL;
    esepage src;
    memset(&src, 0, sizeof(src));
    CHECK_ERR(eseredo_page_get(f.pr, mc.pgno, &pp, NULL), 0);
    CHECK_ERR(esepage_copy(&src, pp), 0);
    eseredo_page_release(f.pr, pp, 0);
    /* the destination: a page past the old end, after an ExtendDB */
    const uint32_t pgnoDest = eseredo_cpg(f.pr) + 3;
    CHECK_ERR(eseredo_extend(f.pr, NULL, pgnoDest + 4), 0);
    const uint64_t dbtime = 0x7FFFFFFF00ull;
    rec_buf rb;
    CHECK(mk_move(&f, &mc, pgnoDest, dbtime, &rb));
    CHECK_ERR(eseredo_apply(f.pr, &rb.rec), 0);

    /* destination: the source's lines node by node, its own number, the record's dbtime */
    CHECK_ERR(eseredo_page_get(f.pr, pgnoDest, &pp, NULL), 0);
    uint32_t iline = 0;
    int r = esepage_compare(pp, &src, &iline);
    CHECK(r == 0 || r == 1); /* only the header (dbtime) may differ */
    CHECK(pp->cline == src.cline && pp->dbtime == dbtime && pp->pgno == pgnoDest);
    CHECK(pp->pgnoPrev == mc.pgnoLeft && pp->pgnoNext == mc.pgnoRight && pp->objidFDP == src.objidFDP);
    eseredo_page_release(f.pr, pp, 0);
    /* source emptied, parent and siblings point to the destination, all stamped */
    CHECK_ERR(eseredo_page_get(f.pr, mc.pgno, &pp, NULL), 0);
    CHECK(pp->cline == 0 && (pp->fFlags & ESEPAGE_PG_EMPTY) && pp->dbtime == dbtime);
    eseredo_page_release(f.pr, pp, 0);
    CHECK_ERR(eseredo_page_get(f.pr, mc.pgnoParent, &pp, NULL), 0);
    const esepage_line *pl = &pp->rgline[mc.ilineParent];
    CHECK(pl->cbData == 4 && le_get32(pl->pb + pl->cbSuffix) == pgnoDest && pp->dbtime == dbtime);
    eseredo_page_release(f.pr, pp, 0);
    CHECK_ERR(eseredo_page_get(f.pr, mc.pgnoLeft, &pp, NULL), 0);
    CHECK(pp->pgnoNext == pgnoDest && pp->dbtime == dbtime);
    eseredo_page_release(f.pr, pp, 0);
    CHECK_ERR(eseredo_page_get(f.pr, mc.pgnoRight, &pp, NULL), 0);
    CHECK(pp->pgnoPrev == pgnoDest && pp->dbtime == dbtime);
    eseredo_page_release(f.pr, pp, 0);

    /* idempotence: replaying the record again changes no byte of any page */
    const uint32_t rgpgno[5] = { mc.pgno, pgnoDest, mc.pgnoParent, mc.pgnoLeft, mc.pgnoRight };
    uint8_t *rgb1 = malloc(5u * mc.cbPage), *rgb2 = malloc(5u * mc.cbPage);
    CHECK(rgb1 != NULL && rgb2 != NULL);
    for (int i = 0; i < 5; i++)
        CHECK(page_bytes(&f, rgpgno[i], rgb1 + (size_t)i * mc.cbPage));
    const uint64_t credone = eseredo_pages_redone(f.pr);
    CHECK_ERR(eseredo_apply(f.pr, &rb.rec), 0);
    CHECK(eseredo_pages_redone(f.pr) == credone);
    for (int i = 0; i < 5; i++)
        CHECK(page_bytes(&f, rgpgno[i], rgb2 + (size_t)i * mc.cbPage));
    CHECK(memcmp(rgb1, rgb2, 5u * mc.cbPage) == 0);

    /* a truncated PageMove is log corruption, named */
    rb.rec.cb -= 3;
    CHECK_ERR(eseredo_apply(f.pr, &rb.rec), JET_errLogCorrupted);
    CHECK(f.info.pgno == mc.pgno && strcmp(f.info.szRecordType, "PageMove") == 0);
    free(rgb1);
    free(rgb2);
    free(rb.pb);
    esepage_free(&src);
    fx_close(&f);
}

TEST(scrub_redo_on_a_real_leaf_and_its_replay)
{
    fixture f;
    CHECK(fx_open(&f, "scrub"));
    move_case mc;
    CHECK(find_move_case(&f, &mc));
    esepage *pp = NULL;
    CHECK_ERR(eseredo_page_get(f.pr, mc.pgno, &pp, NULL), 0);
    const uint32_t cline = pp->cline;
    const uint64_t dbtimeBefore = pp->dbtime;
    esepage before;
    memset(&before, 0, sizeof(before));
    CHECK_ERR(esepage_copy(&before, pp), 0);
    eseredo_page_release(f.pr, pp, 0);
    uint8_t rgb[128 + 512];
    memset(rgb, 0, sizeof(rgb));
    CHECK(cline < 512);
    rgb[0] = ESEPY_ESE_LRTYP_SCRUB;
    le_put32(rgb + 4, mc.pgno);
    le_put64(rgb + 8, 0x7FFFFFFF00ull);
    le_put64(rgb + 16, dbtimeBefore);
    le_put32(rgb + 48, cline);
    le_put16(rgb + 52, (uint16_t)cline);
    rgb[54] = ESESPLIT_SCRUBOP_DATA; /* the first line's data scrubbed, the others kept */
    ESEPY_ESE_LOGRECORD rec;
    memset(&rec, 0, sizeof(rec));
    rec.cbStruct = sizeof(rec);
    rec.lrtyp = ESEPY_ESE_LRTYP_SCRUB;
    rec.lgpos.lGeneration = 1;
    rec.pb = rgb;
    rec.cb = 54 + cline;
    rec.pgno = mc.pgno;
    rec.dbtime = 0x7FFFFFFF00ull;
    rec.dbtimeBefore = dbtimeBefore;
    CHECK_ERR(eseredo_apply(f.pr, &rec), 0);
    CHECK_ERR(eseredo_page_get(f.pr, mc.pgno, &pp, NULL), 0);
    const uint8_t *pb;
    uint32_t cb, cbBefore;
    const uint8_t *pbBefore;
    CHECK(pp->cline == cline && pp->dbtime == rec.dbtime && pp->bFreeFill == 'Z');
    CHECK(esepage_data(pp, 0, &pb, &cb) >= 0 && esepage_data(&before, 0, &pbBefore, &cbBefore) >= 0);
    CHECK(cb == cbBefore && (cb == 0 || (pb[0] == 'D' && pb[cb - 1] == 'D')));
    for (uint32_t i = 1; i < cline; i++) {
        CHECK(esepage_data(pp, i, &pb, &cb) >= 0 && esepage_data(&before, i, &pbBefore, &cbBefore) >= 0);
        CHECK(cb == cbBefore && memcmp(pb, pbBefore, cb) == 0);
    }
    eseredo_page_release(f.pr, pp, 0);
    uint8_t *pb1 = malloc(mc.cbPage), *pb2 = malloc(mc.cbPage);
    CHECK(pb1 && pb2 && page_bytes(&f, mc.pgno, pb1));
    CHECK_ERR(eseredo_apply(f.pr, &rec), 0);
    CHECK(page_bytes(&f, mc.pgno, pb2) && memcmp(pb1, pb2, mc.cbPage) == 0);
    free(pb1);
    free(pb2);
    esepage_free(&before);
    fx_close(&f);
}

/* The image of page pgno as a PageMove carries it (header part, trailer part). */
static int mk_root_move(fixture *f, uint32_t pgno, uint32_t pgnoDest, uint32_t fMove, uint64_t dbtime, uint32_t cbPage,
                        rec_buf *pl)
{
    uint8_t *pbPage = malloc(cbPage);
    pl->pb = calloc(1, 96 + (size_t)cbPage);
    if (pbPage == NULL || pl->pb == NULL || !page_bytes(f, pgno, pbPage)) {
        free(pbPage);
        return 0;
    }
    uint8_t *p = pl->pb;
    p[0] = ESEPY_ESE_LRTYP_PAGEMOVE;
    p[3] = 1;
    le_put32(p + 4, pgno);
    le_put64(p + 8, dbtime);
    le_put64(p + 16, page_dbtime(f, pgno));
    le_put32(p + 32, pgnoDest);
    le_put32(p + 76, le_get32(pbPage + 24));
    le_put32(p + 84, fMove);
    uint32_t cbHeader = 40u + le_get16(pbPage + 32), cbTrailer = 4u * (le_get16(pbPage + 34) & 0xFFFu);
    le_put32(p + 88, cbHeader);
    le_put32(p + 92, cbTrailer);
    memcpy(p + 96, pbPage, cbHeader);
    memcpy(p + 96 + cbHeader, pbPage + cbPage - cbTrailer, cbTrailer);
    free(pbPage);
    memset(&pl->rec, 0, sizeof(pl->rec));
    pl->rec.cbStruct = sizeof(pl->rec);
    pl->rec.lrtyp = ESEPY_ESE_LRTYP_PAGEMOVE;
    pl->rec.lgpos.lGeneration = 1;
    pl->rec.pb = p;
    pl->rec.cb = 96 + cbHeader + cbTrailer;
    pl->rec.pgno = pgno;
    pl->rec.dbid = 1;
    pl->rec.dbtime = dbtime;
    pl->rec.dbtimeBefore = le_get64(p + 16);
    pl->rec.dbtimeLeftBefore = pl->rec.dbtimeRightBefore = pl->rec.dbtimeParentBefore = 0;
    pl->rec.pgnoNew = pgnoDest;
    return 1;
}

TEST(root_move_macro_moves_root_oe_ae_and_rewrites_the_catalog_row)
{
    fixture f;
    CHECK(fx_open(&f, "rootmove"));
    /* a multiple-extent tree root (not a space tree) with lines, its OE and AE roots */
    uint32_t root = 0, oe = 0, ae = 0, objid = 0, cbPage = 0;
    for (uint32_t pgno = 4; pgno < 600 && root == 0; pgno++) {
        esepage *pp = NULL;
        if (eseredo_page_get(f.pr, pgno, &pp, NULL) < 0)
            continue;
        if ((pp->fFlags & ESEPAGE_PG_ROOT) && !(pp->fFlags & ESEPAGE_PG_SPACE) && pp->cline >= 2 &&
            pp->ctagReserved > 0 && pp->rgreserved[0].cbData >= 16 && (pp->rgreserved[0].pb[8] & 1)) {
            root = pgno;
            oe = le_get32(pp->rgreserved[0].pb + 12);
            ae = oe + 1;
            objid = pp->objidFDP;
            cbPage = pp->cbPage;
        }
        eseredo_page_release(f.pr, pp, 0);
    }
    CHECK(root != 0);
    /* the catalog row naming the root: data bytes 4..8 the objid, 14..18 the root page */
    uint32_t pgnoCat = 0, ilineCat = 0, cbRow = 0;
    uint8_t rgbRow[1024];
    for (uint32_t pgno = 4; pgno < 600 && pgnoCat == 0; pgno++) {
        esepage *pp = NULL;
        if (eseredo_page_get(f.pr, pgno, &pp, NULL) < 0)
            continue;
        if (pp->objidFDP == 2 && (pp->fFlags & ESEPAGE_PG_LEAF))
            for (uint32_t i = 0; i < pp->cline && pgnoCat == 0; i++) {
                const uint8_t *pb;
                uint32_t cb;
                if (esepage_data(pp, i, &pb, &cb) >= 0 && cb >= 18 && cb <= sizeof(rgbRow) &&
                    le_get32(pb + 4) == objid && le_get32(pb + 14) == root && !(pp->rgline[i].fFlags & 2)) {
                    pgnoCat = pgno;
                    ilineCat = i;
                    cbRow = cb;
                    memcpy(rgbRow, pb, cb);
                }
            }
        eseredo_page_release(f.pr, pp, 0);
    }
    CHECK(pgnoCat != 0);
    esepage rootBefore, oeBefore;
    esepage *pp = NULL;
    memset(&rootBefore, 0, sizeof(rootBefore));
    memset(&oeBefore, 0, sizeof(oeBefore));
    CHECK_ERR(eseredo_page_get(f.pr, root, &pp, NULL), 0);
    CHECK_ERR(esepage_copy(&rootBefore, pp), 0);
    eseredo_page_release(f.pr, pp, 0);
    CHECK_ERR(eseredo_page_get(f.pr, oe, &pp, NULL), 0);
    CHECK_ERR(esepage_copy(&oeBefore, pp), 0);
    eseredo_page_release(f.pr, pp, 0);

    const uint32_t pgnoNew = eseredo_cpg(f.pr) + 1;
    CHECK_ERR(eseredo_extend(f.pr, NULL, pgnoNew + 3), 0);
    const uint64_t dbtime = 0x7FFFFFFF00ull;
    rec_buf rgmv[3];
    CHECK(mk_root_move(&f, root, pgnoNew, ESESPLIT_MOVE_ROOTFDP, dbtime, cbPage, &rgmv[0]));
    CHECK(mk_root_move(&f, oe, pgnoNew + 1, ESESPLIT_MOVE_ROOTOE, dbtime, cbPage, &rgmv[1]));
    CHECK(mk_root_move(&f, ae, pgnoNew + 2, ESESPLIT_MOVE_ROOTAE, dbtime, cbPage, &rgmv[2]));
    /* the macro: RootPageMove, the three moves, the catalog row's Replace */
    uint8_t rgbRpm[16];
    memset(rgbRpm, 0, sizeof(rgbRpm));
    rgbRpm[0] = ESEPY_ESE_LRTYP_ROOTPAGEMOVE;
    ESEPY_ESE_LOGRECORD rpm, rep;
    memset(&rpm, 0, sizeof(rpm));
    rpm.cbStruct = sizeof(rpm);
    rpm.lrtyp = ESEPY_ESE_LRTYP_ROOTPAGEMOVE;
    rpm.lgpos.lGeneration = 1;
    rpm.pb = rgbRpm;
    rpm.cb = 16;
    rpm.dbtime = dbtime;
    rpm.objidFDP = objid;
    le_put32(rgbRow + 14, pgnoNew);
    memset(&rep, 0, sizeof(rep));
    rep.cbStruct = sizeof(rep);
    rep.lrtyp = ESEPY_ESE_LRTYP_REPLACE;
    rep.lgpos.lGeneration = 1;
    rep.pgno = pgnoCat;
    rep.iline = ilineCat;
    rep.dbtime = dbtime;
    rep.dbtimeBefore = page_dbtime(&f, pgnoCat);
    rep.pbData = rgbRow;
    rep.cbData = rep.cbNewData = rep.cbOldData = cbRow;
    eseredo_buf buf;
    memset(&buf, 0, sizeof(buf));
    CHECK_ERR(eseredo_buf_add(&buf, &rpm), 0);
    for (int i = 0; i < 3; i++)
        CHECK_ERR(eseredo_buf_add(&buf, &rgmv[i].rec), 0);
    CHECK_ERR(eseredo_buf_add(&buf, &rep), 0);
    CHECK_ERR(eseredo_apply_macro(f.pr, &buf, dbtime), 0);

    /* the new root: the old lines, its space header naming the new OE root */
    CHECK_ERR(eseredo_page_get(f.pr, pgnoNew, &pp, NULL), 0);
    uint32_t iline = 0;
    int r = esepage_compare(pp, &rootBefore, &iline);
    CHECK(r == 1 || r == 2); /* header (dbtime), and tag 0 (pgnoOE) differ */
    CHECK(pp->cline == rootBefore.cline && pp->dbtime == dbtime && pp->pgno == pgnoNew);
    for (uint32_t i = 0; i < pp->cline; i++)
        CHECK(pp->rgline[i].cbData == rootBefore.rgline[i].cbData &&
              memcmp(pp->rgline[i].pb, rootBefore.rgline[i].pb,
                     rootBefore.rgline[i].cbSuffix + rootBefore.rgline[i].cbData) == 0);
    CHECK(le_get32(pp->rgreserved[0].pb + 12) == pgnoNew + 1 &&
          memcmp(pp->rgreserved[0].pb, rootBefore.rgreserved[0].pb, 12) == 0);
    eseredo_page_release(f.pr, pp, 0);
    CHECK_ERR(eseredo_page_get(f.pr, pgnoNew + 1, &pp, NULL), 0);
    r = esepage_compare(pp, &oeBefore, NULL);
    CHECK((r == 0 || r == 1) && pp->dbtime == dbtime);
    eseredo_page_release(f.pr, pp, 0);
    /* the old pages: empty, their tag 0 (the root's space header) cleared */
    const uint32_t rgOld[3] = { root, oe, ae };
    for (int i = 0; i < 3; i++) {
        CHECK_ERR(eseredo_page_get(f.pr, rgOld[i], &pp, NULL), 0);
        CHECK(pp->cline == 0 && (pp->fFlags & ESEPAGE_PG_EMPTY) && pp->dbtime == dbtime &&
              (pp->ctagReserved == 0 || pp->rgreserved[0].cbData == 0));
        eseredo_page_release(f.pr, pp, 0);
    }
    /* the catalog row names the new root */
    CHECK_ERR(eseredo_page_get(f.pr, pgnoCat, &pp, NULL), 0);
    const uint8_t *pb;
    uint32_t cb;
    CHECK(esepage_data(pp, ilineCat, &pb, &cb) >= 0 && cb == cbRow && le_get32(pb + 14) == pgnoNew);
    CHECK(pp->dbtime == dbtime);
    eseredo_page_release(f.pr, pp, 0);

    /* replaying the macro changes nothing */
    const uint32_t rgAll[7] = { root, oe, ae, pgnoNew, pgnoNew + 1, pgnoNew + 2, pgnoCat };
    uint8_t *rgb1 = malloc(7u * cbPage), *rgb2 = malloc(7u * cbPage);
    CHECK(rgb1 && rgb2);
    for (int i = 0; i < 7; i++)
        CHECK(page_bytes(&f, rgAll[i], rgb1 + (size_t)i * cbPage));
    CHECK_ERR(eseredo_apply_macro(f.pr, &buf, dbtime), 0);
    for (int i = 0; i < 7; i++)
        CHECK(page_bytes(&f, rgAll[i], rgb2 + (size_t)i * cbPage));
    CHECK(memcmp(rgb1, rgb2, 7u * cbPage) == 0);

    /* a root move macro holding another record is refused by name */
    eseredo_buf bad;
    memset(&bad, 0, sizeof(bad));
    ESEPY_ESE_LOGRECORD del = rep;
    del.lrtyp = ESEPY_ESE_LRTYP_DELETE;
    CHECK_ERR(eseredo_buf_add(&bad, &rpm), 0);
    CHECK_ERR(eseredo_buf_add(&bad, &del), 0);
    CHECK_ERR(eseredo_apply_macro(f.pr, &bad, dbtime), JET_errFeatureNotAvailable);
    CHECK(strstr(f.info.szReason, "Delete") != NULL && strstr(f.info.szReason, "root move") != NULL);
    eseredo_buf_free(&bad);
    eseredo_buf_free(&buf);
    free(rgb1);
    free(rgb2);
    for (int i = 0; i < 3; i++)
        free(rgmv[i].pb);
    esepage_free(&rootBefore);
    esepage_free(&oeBefore);
    fx_close(&f);
}

UNIT_MAIN()
