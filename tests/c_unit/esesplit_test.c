/* Unit tests of the split and merge algorithms of Windows ESE redo
 * (csrc/esefmt/esesplit.c) on synthetic pages and records: the cases the
 * SRUM sample does not hold (vertical splits, right splits whose operation
 * stays on the split page, internal separators, every merge type replayed,
 * the refusals) and before-image rehydration.  The sample's own splits are
 * tested end to end in tests/ese/test_ese_split_redo.py. */
#include "unit.h"
#include "esesplit.h"

#include <stdint.h>

#define CB 4096u

/* ---- building pages and records ------------------------------------------------------ */

static void key_of(uint8_t *pb, const char *sz, uint32_t *pcb)
{
    *pcb = (uint32_t)strlen(sz);
    memcpy(pb, sz, *pcb);
}

/* A page with the given keys (no prefix), data = "d" + key. */
static JET_ERR mk_page(esepage *pp, uint32_t pgno, uint32_t fFlags, const char *const *rgsz, uint32_t c)
{
    JET_ERR err = esepage_format(pp, CB, pgno, 7, 100, fFlags);
    for (uint32_t i = 0; i < c && err >= 0; i++) {
        uint8_t rgbKey[64], rgbData[64];
        uint32_t cbKey;
        key_of(rgbKey, rgsz[i], &cbKey);
        rgbData[0] = 'd';
        memcpy(rgbData + 1, rgbKey, cbKey);
        err = esepage_insert(pp, i, rgbKey, cbKey, 0, rgbData, cbKey + 1, 0);
    }
    return err;
}

/* An internal page of (key, child pgno) pointers. */
static JET_ERR mk_internal(esepage *pp, uint32_t pgno, uint32_t fFlags, const char *const *rgsz, const uint32_t *rgpgno,
                           uint32_t c)
{
    JET_ERR err = esepage_format(pp, CB, pgno, 7, 100, fFlags);
    for (uint32_t i = 0; i < c && err >= 0; i++) {
        uint8_t rgb[4];
        le_put32(rgb, rgpgno[i]);
        err = esepage_insert(pp, i, (const uint8_t *)rgsz[i], (uint32_t)strlen(rgsz[i]), 0, rgb, 4, 0);
    }
    return err;
}

static int key_is(const esepage *pp, uint32_t iline, const char *sz)
{
    uint8_t rgb[256];
    uint32_t cb = 0;
    if (esepage_key(pp, iline, rgb, sizeof(rgb), &cb) != JET_errSuccess)
        return 0;
    return cb == strlen(sz) && memcmp(rgb, sz, cb) == 0;
}

static uint32_t pgno_at(const esepage *pp, uint32_t iline)
{
    const uint8_t *pb;
    uint32_t cb;
    if (esepage_data(pp, iline, &pb, &cb) < 0 || cb != 4)
        return 0;
    return le_get32(pb);
}

typedef struct {
    uint8_t rgb[512];
    ESEPY_ESE_LOGRECORD rec;
} lrbuf;

typedef struct {
    uint32_t pgno, pgnoNew, pgnoRight, pgnoParent;
    uint64_t dbtime, dbtimeBefore;
    uint32_t type, oper, ilineOper, ilineSplit, clines, fNew, fSplit;
    int32_t  ilinePrefixSplit, ilinePrefixNew;
    const char *szKeyParent, *szPrefixOld, *szPrefixNew;
} split_args;

static void mk_split(lrbuf *pl, const split_args *pa)
{
    memset(pl, 0, sizeof(*pl));
    uint8_t *p = pl->rgb;
    p[0] = ESEPY_ESE_LRTYP_SPLIT2;
    p[3] = 1;
    le_put32(p + 4, pa->pgno);
    le_put64(p + 8, pa->dbtime);
    le_put64(p + 16, pa->dbtimeBefore);
    le_put32(p + 32, pa->pgnoNew);
    le_put32(p + 36, pa->pgnoRight);
    le_put64(p + 40, 90);
    le_put32(p + 48, pa->pgnoParent);
    le_put64(p + 52, 80);
    le_put32(p + 60, 3);
    le_put32(p + 64, 7);
    p[68] = (uint8_t)pa->type;
    p[69] = (uint8_t)pa->oper;
    le_put16(p + 70, (uint16_t)pa->ilineOper);
    le_put16(p + 72, (uint16_t)pa->ilineSplit);
    le_put16(p + 74, (uint16_t)pa->clines);
    le_put32(p + 76, pa->fNew);
    le_put32(p + 80, pa->fSplit);
    le_put32(p + 88, (uint32_t)pa->ilinePrefixSplit);
    le_put32(p + 92, (uint32_t)pa->ilinePrefixNew);
    const char *rgsz[3] = { pa->szKeyParent, pa->szPrefixOld, pa->szPrefixNew };
    const uint32_t rgoff[3] = { 100, 96, 98 };
    uint32_t cb = 110;
    for (int i = 0; i < 3; i++) {
        uint32_t c = rgsz[i] ? (uint32_t)strlen(rgsz[i]) : 0;
        le_put16(p + rgoff[i], (uint16_t)c);
    }
    /* variable part: parent key, old prefix, new prefix */
    const char *rgszOrder[3] = { pa->szKeyParent, pa->szPrefixOld, pa->szPrefixNew };
    for (int i = 0; i < 3; i++) {
        uint32_t c = rgszOrder[i] ? (uint32_t)strlen(rgszOrder[i]) : 0;
        memcpy(p + cb, rgszOrder[i] ? rgszOrder[i] : "", c);
        cb += c;
    }
    pl->rec.cbStruct = sizeof(pl->rec);
    pl->rec.lrtyp = ESEPY_ESE_LRTYP_SPLIT2;
    pl->rec.pb = p;
    pl->rec.cb = cb;
    pl->rec.pgno = pa->pgno;
}

typedef struct {
    uint32_t pgno, pgnoLeft, pgnoRight, iline, ilineMerge, fMerge, type, cbUncFreeDest;
    const char *szSep;
} merge_args;

static void mk_merge(lrbuf *pl, const merge_args *pa)
{
    memset(pl, 0, sizeof(*pl));
    uint8_t *p = pl->rgb;
    p[0] = ESEPY_ESE_LRTYP_MERGE2;
    p[3] = 1;
    le_put32(p + 4, pa->pgno);
    le_put64(p + 8, 200);
    le_put64(p + 16, 100);
    le_put16(p + 29, (uint16_t)pa->iline);
    le_put32(p + 32, pa->pgnoRight);
    le_put64(p + 36, 100);
    le_put32(p + 44, pa->pgnoLeft);
    le_put64(p + 48, 100);
    le_put32(p + 68, 3);
    le_put32(p + 72, 7);
    le_put16(p + 80, (uint16_t)pa->cbUncFreeDest);
    le_put16(p + 82, (uint16_t)pa->ilineMerge);
    p[84] = (uint8_t)pa->fMerge;
    p[85] = (uint8_t)pa->type;
    uint32_t c = pa->szSep ? (uint32_t)strlen(pa->szSep) : 0;
    le_put16(p + 86, (uint16_t)c);
    memcpy(p + 96, pa->szSep ? pa->szSep : "", c);
    pl->rec.cbStruct = sizeof(pl->rec);
    pl->rec.lrtyp = ESEPY_ESE_LRTYP_MERGE2;
    pl->rec.pb = p;
    pl->rec.cb = 96 + c;
    pl->rec.pgno = pa->pgno;
}

#define LEAF (ESEPAGE_PG_LEAF | ESEPAGE_PG_NEWCHK)
#define PARENT (ESEPAGE_PG_PARENT | ESEPAGE_PG_NEWCHK)

/* ---- splits ---------------------------------------------------------------------------- */

TEST(vertical_split_of_a_root_leaf)
{
    static const char *rgsz[] = { "key000", "key001", "key002", "key003", "key004" };
    esepage root, pnew;
    memset(&root, 0, sizeof(root));
    memset(&pnew, 0, sizeof(pnew));
    CHECK_ERR(mk_page(&root, 10, LEAF | ESEPAGE_PG_ROOT, rgsz, 5), 0);
    static const uint8_t rgbSpace[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    CHECK_ERR(esepage_set_external_header(&root, rgbSpace, 16), 0);
    split_args a = { .pgno = 10, .pgnoNew = 11, .dbtime = 200, .dbtimeBefore = 100, .type = ESESPLIT_TYPE_VERTICAL,
                     .oper = ESESPLIT_OPER_NONE, .ilineSplit = 0, .clines = 5, .fNew = LEAF,
                     .fSplit = ESEPAGE_PG_ROOT | PARENT, .ilinePrefixSplit = -1, .ilinePrefixNew = 0 };
    lrbuf lr;
    mk_split(&lr, &a);
    esesplit_split s;
    CHECK_ERR(esesplit_parse_split(&lr.rec, &s), 0);
    CHECK(esesplit_split_needs_image(&s));
    CHECK_ERR(esesplit_format_new(&s, CB, 200, 1, &pnew), 0);
    esesplit_split_pages pg = { &root, &pnew, NULL };
    char sz[256];
    CHECK_ERR(esesplit_split_apply(&s, 1, &pg, NULL, sz, sizeof(sz)), 0);
    /* the root: one pointer with an empty key, its space header kept, now a parent */
    CHECK(root.cline == 1 && pgno_at(&root, 0) == 11 && key_is(&root, 0, ""));
    CHECK(root.fFlags == (ESEPAGE_PG_ROOT | PARENT));
    CHECK(root.rgreserved[0].cbData == 16 && memcmp(root.rgreserved[0].pb, rgbSpace, 16) == 0);
    /* the new page: every line, compressed against the first key */
    CHECK(pnew.cline == 5 && (pnew.fFlags & ESEPAGE_PG_LEAF) && !(pnew.fFlags & ESEPAGE_PG_ROOT));
    CHECK(pnew.rgreserved[0].cbData == 6 && memcmp(pnew.rgreserved[0].pb, "key000", 6) == 0);
    for (uint32_t i = 0; i < 5; i++)
        CHECK(key_is(&pnew, i, rgsz[i]) && pnew.rgline[i].cbPrefix == (i == 0 ? 6u : 5u));
    CHECK(pnew.pgnoPrev == 0 && pnew.pgnoNext == 0 && pnew.objidFDP == 7);
    esepage_free(&root);
    esepage_free(&pnew);
}

/* A right split of leaf 20 (right sibling 30, parent 40) whose insert stays on the
 * split page: lines 7.. move, both pages get new prefixes, the parent gets the
 * separator before its pointer to 20, which then points to the new page 21. */
TEST(right_split_with_insert_on_the_split_page_and_parent_separator)
{
    static const char *rgsz[] = { "key000", "key001", "key002", "key003", "key004",
                                  "key005", "key006", "key007", "key008", "key009" };
    esepage src, pnew, right, parent;
    memset(&src, 0, sizeof(src));
    memset(&pnew, 0, sizeof(pnew));
    memset(&right, 0, sizeof(right));
    memset(&parent, 0, sizeof(parent));
    CHECK_ERR(mk_page(&src, 20, LEAF, rgsz, 10), 0);
    src.pgnoNext = 30;
    static const char *rgszR[] = { "kez000" };
    CHECK_ERR(mk_page(&right, 30, LEAF, rgszR, 1), 0);
    right.pgnoPrev = 20;
    static const char *rgszP[] = { "key1", "" };
    static const uint32_t rgpg[] = { 20, 30 };
    CHECK_ERR(mk_internal(&parent, 40, PARENT | ESEPAGE_PG_ROOT, rgszP, rgpg, 2), 0);

    split_args ap = { .pgno = 40, .dbtime = 200, .dbtimeBefore = 80, .ilineOper = 0 };
    split_args al = { .pgno = 20, .pgnoNew = 21, .pgnoRight = 30, .pgnoParent = 40, .dbtime = 200,
                      .dbtimeBefore = 100, .type = ESESPLIT_TYPE_RIGHT, .oper = ESESPLIT_OPER_INSERT,
                      .ilineOper = 5, .ilineSplit = 8, .clines = 11, .fNew = LEAF, .fSplit = LEAF,
                      .ilinePrefixSplit = 0, .ilinePrefixNew = 0, .szKeyParent = "key0065", .szPrefixNew = "key00" };
    lrbuf lrp, lrl;
    mk_split(&lrp, &ap);
    mk_split(&lrl, &al);
    esesplit_split rg[2];
    CHECK_ERR(esesplit_parse_split(&lrp.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_split(&lrl.rec, &rg[1]), 0);
    CHECK(esesplit_split_needs_image(&rg[1]));
    CHECK_ERR(esesplit_format_new(&rg[1], CB, 200, 1, &pnew), 0);
    esesplit_split_pages pg[2] = { { &parent, NULL, NULL }, { &src, &pnew, &right } };
    esesplit_oper op = { .lrtyp = ESEPY_ESE_LRTYP_INSERT, .pbKey = (const uint8_t *)"key0045", .cbKey = 7,
                         .pbData = (const uint8_t *)"new", .cbData = 3, .fVersioned = 1 };
    char sz[256];
    JET_ERR err = esesplit_split_apply(rg, 2, pg, &op, sz, sizeof(sz));
    if (err < 0)
        fprintf(stderr, "%s\n", sz);
    CHECK_ERR(err, 0);
    /* split page: key000..key004, key0045 (versioned), key005, key006; prefix "key00" */
    CHECK(src.cline == 8);
    static const char *rgszSrc[] = { "key000", "key001", "key002", "key003", "key004", "key0045", "key005", "key006" };
    for (uint32_t i = 0; i < 8; i++)
        CHECK(key_is(&src, i, rgszSrc[i]) && src.rgline[i].cbPrefix == 5);
    CHECK(src.rgline[5].fFlags & ESEPAGE_ND_VERSION);
    CHECK(!(src.rgline[4].fFlags & ESEPAGE_ND_VERSION));
    CHECK(src.rgreserved[0].cbData == 5);
    /* new page: key007..key009, prefix "key007" */
    CHECK(pnew.cline == 3 && key_is(&pnew, 0, "key007") && key_is(&pnew, 2, "key009"));
    CHECK(pnew.rgreserved[0].cbData == 6 && pnew.rgline[0].cbPrefix == 6 && pnew.rgline[1].cbPrefix == 5);
    /* links */
    CHECK(src.pgnoNext == 21 && pnew.pgnoPrev == 20 && pnew.pgnoNext == 30 && right.pgnoPrev == 21);
    /* parent: (key0065 -> 20), (key1 -> 21), ("" -> 30) */
    CHECK(parent.cline == 3 && key_is(&parent, 0, "key0065") && pgno_at(&parent, 0) == 20);
    CHECK(key_is(&parent, 1, "key1") && pgno_at(&parent, 1) == 21 && pgno_at(&parent, 2) == 30);
    esepage_free(&src);
    esepage_free(&pnew);
    esepage_free(&right);
    esepage_free(&parent);
}

TEST(new_page_needing_lines_of_a_newer_split_page_is_refused)
{
    esepage pnew;
    memset(&pnew, 0, sizeof(pnew));
    split_args al = { .pgno = 20, .pgnoNew = 21, .pgnoParent = 40, .dbtime = 200, .dbtimeBefore = 100,
                      .type = ESESPLIT_TYPE_RIGHT, .oper = ESESPLIT_OPER_INSERT, .ilineOper = 5, .ilineSplit = 8,
                      .clines = 11, .fNew = LEAF, .fSplit = LEAF, .ilinePrefixSplit = -1, .ilinePrefixNew = -1,
                      .szKeyParent = "k" };
    split_args ap = { .pgno = 40, .dbtime = 200, .dbtimeBefore = 80 };
    lrbuf lrp, lrl;
    mk_split(&lrp, &ap);
    mk_split(&lrl, &al);
    esesplit_split rg[2];
    CHECK_ERR(esesplit_parse_split(&lrp.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_split(&lrl.rec, &rg[1]), 0);
    CHECK_ERR(esesplit_format_new(&rg[1], CB, 200, 1, &pnew), 0);
    esesplit_split_pages pg[2] = { { NULL, NULL, NULL }, { NULL, &pnew, NULL } };
    esesplit_oper op = { .lrtyp = ESEPY_ESE_LRTYP_INSERT, .pbKey = (const uint8_t *)"key0045", .cbKey = 7 };
    char sz[256];
    CHECK_ERR(esesplit_split_apply(rg, 2, pg, &op, sz, sizeof(sz)), JET_errDatabaseBufferDependenciesCorrupted);
    CHECK(strstr(sz, "page 21") != NULL);
    esepage_free(&pnew);
}

TEST(append_split_needs_only_the_record)
{
    esepage pnew;
    memset(&pnew, 0, sizeof(pnew));
    split_args ap = { .pgno = 40, .dbtime = 200, .dbtimeBefore = 80 };
    split_args al = { .pgno = 20, .pgnoNew = 21, .pgnoParent = 40, .dbtime = 200, .dbtimeBefore = 100,
                      .type = ESESPLIT_TYPE_APPEND, .oper = ESESPLIT_OPER_INSERT, .ilineOper = 10, .ilineSplit = 10,
                      .clines = 11, .fNew = LEAF, .fSplit = LEAF, .ilinePrefixSplit = -1, .ilinePrefixNew = 0,
                      .szKeyParent = "key010", .szPrefixOld = "key" };
    lrbuf lrp, lrl;
    mk_split(&lrp, &ap);
    mk_split(&lrl, &al);
    esesplit_split rg[2];
    CHECK_ERR(esesplit_parse_split(&lrp.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_split(&lrl.rec, &rg[1]), 0);
    CHECK(!esesplit_split_needs_image(&rg[1]));
    CHECK_ERR(esesplit_format_new(&rg[1], CB, 200, 0, &pnew), 0);
    esesplit_split_pages pg[2] = { { NULL, NULL, NULL }, { NULL, &pnew, NULL } };
    esesplit_oper op = { .lrtyp = ESEPY_ESE_LRTYP_INSERT, .pbKey = (const uint8_t *)"key010", .cbKey = 6,
                         .pbData = (const uint8_t *)"row", .cbData = 3, .fVersioned = 1 };
    char sz[256];
    CHECK_ERR(esesplit_split_apply(rg, 2, pg, &op, sz, sizeof(sz)), 0);
    /* the new page holds the inserted line, its whole key as the page prefix */
    CHECK(pnew.cline == 1 && key_is(&pnew, 0, "key010") && pnew.rgline[0].cbPrefix == 6 &&
          pnew.rgline[0].cbSuffix == 0 && (pnew.rgline[0].fFlags & ESEPAGE_ND_VERSION));
    CHECK(pnew.pgnoPrev == 20 && pnew.pgnoNext == 0 && pnew.ctagReservedStored == 0);
    uint8_t *pb = malloc(CB);
    CHECK(pb != NULL);
    CHECK_ERR(esepage_encode(&pnew, pb), 0);
    free(pb);
    esepage_free(&pnew);
}

TEST(split_of_an_internal_page_points_its_new_line_at_the_child_new_page)
{
    /* internal page 40 (parent of leaf 20) splits to the right into 41; the leaf's
     * separator is the operation; the pointer after it is updated to leaf's new page 21 */
    static const char *rgszP[] = { "b", "d", "f", "h", "" };
    static const uint32_t rgpg[] = { 10, 20, 30, 50, 60 };
    esepage parent, pnew, root;
    memset(&parent, 0, sizeof(parent));
    memset(&pnew, 0, sizeof(pnew));
    memset(&root, 0, sizeof(root));
    CHECK_ERR(mk_internal(&parent, 40, PARENT, rgszP, rgpg, 5), 0);
    static const char *rgszR[] = { "" };
    static const uint32_t rgpgR[] = { 40 };
    CHECK_ERR(mk_internal(&root, 5, PARENT | ESEPAGE_PG_ROOT, rgszR, rgpgR, 1), 0);
    split_args a0 = { .pgno = 5, .dbtime = 200, .dbtimeBefore = 80 };
    split_args a1 = { .pgno = 40, .pgnoNew = 41, .pgnoParent = 5, .dbtime = 200, .dbtimeBefore = 80,
                      .type = ESESPLIT_TYPE_RIGHT, .oper = ESESPLIT_OPER_INSERT, .ilineOper = 1, .ilineSplit = 3,
                      .clines = 6, .fNew = PARENT, .fSplit = PARENT, .ilinePrefixSplit = -1, .ilinePrefixNew = -1,
                      .szKeyParent = "e" };
    split_args a2 = { .pgno = 20, .pgnoNew = 21, .pgnoParent = 40, .dbtime = 200, .dbtimeBefore = 100,
                      .type = ESESPLIT_TYPE_APPEND, .oper = ESESPLIT_OPER_INSERT, .ilineOper = 3, .ilineSplit = 3,
                      .clines = 4, .fNew = LEAF, .fSplit = LEAF, .ilinePrefixSplit = -1, .ilinePrefixNew = -1,
                      .szKeyParent = "c" };
    lrbuf l0, l1, l2;
    mk_split(&l0, &a0);
    mk_split(&l1, &a1);
    mk_split(&l2, &a2);
    esesplit_split rg[3];
    CHECK_ERR(esesplit_parse_split(&l0.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_split(&l1.rec, &rg[1]), 0);
    CHECK_ERR(esesplit_parse_split(&l2.rec, &rg[2]), 0);
    CHECK_ERR(esesplit_format_new(&rg[1], CB, 200, 1, &pnew), 0);
    esesplit_split_pages pg[3] = { { &root, NULL, NULL }, { &parent, &pnew, NULL }, { NULL, NULL, NULL } };
    esesplit_oper op = { .lrtyp = ESEPY_ESE_LRTYP_INSERT, .pbKey = (const uint8_t *)"cc", .cbKey = 2 };
    char sz[256];
    JET_ERR err = esesplit_split_apply(rg, 3, pg, &op, sz, sizeof(sz));
    if (err < 0)
        fprintf(stderr, "%s\n", sz);
    CHECK_ERR(err, 0);
    /* 40: (b,10) (c,20) (d,21); 41: (f,30) (h,50) ("",60); root: (e,40) ("",41) */
    CHECK(parent.cline == 3 && key_is(&parent, 1, "c") && pgno_at(&parent, 1) == 20);
    CHECK(key_is(&parent, 2, "d") && pgno_at(&parent, 2) == 21);
    CHECK(pnew.cline == 3 && key_is(&pnew, 0, "f") && pgno_at(&pnew, 0) == 30 && pgno_at(&pnew, 2) == 60);
    CHECK(pnew.pgnoPrev == 0 && pnew.pgnoNext == 0);
    CHECK(root.cline == 2 && key_is(&root, 0, "e") && pgno_at(&root, 0) == 40 && pgno_at(&root, 1) == 41);
    esepage_free(&parent);
    esepage_free(&pnew);
    esepage_free(&root);
}

/* ---- merges ------------------------------------------------------------------------------ */

TEST(full_right_merge_empties_the_page_and_drops_its_pointer)
{
    static const char *rgszS[] = { "m0", "m1", "m2" };
    static const char *rgszR[] = { "r0", "r1" };
    static const char *rgszL[] = { "a0" };
    esepage src, left, right, parent;
    memset(&src, 0, sizeof(src));
    memset(&left, 0, sizeof(left));
    memset(&right, 0, sizeof(right));
    memset(&parent, 0, sizeof(parent));
    CHECK_ERR(mk_page(&src, 50, LEAF, rgszS, 3), 0);
    CHECK_ERR(esepage_set_flags(&src, 2, ESEPAGE_ND_DELETED, 0), 0); /* flag-deleted: not moved */
    CHECK_ERR(mk_page(&right, 51, LEAF, rgszR, 2), 0);
    CHECK_ERR(mk_page(&left, 49, LEAF, rgszL, 1), 0);
    src.pgnoPrev = 49, src.pgnoNext = 51, left.pgnoNext = 50, right.pgnoPrev = 50;
    static const char *rgszP[] = { "a9", "m9", "" };
    static const uint32_t rgpg[] = { 49, 50, 51 };
    CHECK_ERR(mk_internal(&parent, 60, PARENT, rgszP, rgpg, 3), 0);
    merge_args a0 = { .pgno = 60, .iline = 1, .fMerge = ESESPLIT_MERGE_DELETENODE, .type = ESESPLIT_MERGE_FULLRIGHT };
    merge_args a1 = { .pgno = 50, .pgnoLeft = 49, .pgnoRight = 51, .ilineMerge = 0, .fMerge = ESESPLIT_MERGE_EMPTY,
                      .type = ESESPLIT_MERGE_FULLRIGHT, .cbUncFreeDest = 12 };
    lrbuf l0, l1;
    mk_merge(&l0, &a0);
    mk_merge(&l1, &a1);
    esesplit_merge rg[2];
    CHECK_ERR(esesplit_parse_merge(&l0.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_merge(&l1.rec, &rg[1]), 0);
    CHECK(esesplit_merge_needs_image(&rg[1]));
    esesplit_merge_pages pg[2] = { { &parent, NULL, NULL }, { &src, &left, &right } };
    char sz[256];
    CHECK_ERR(esesplit_merge_apply(rg, 2, pg, sz, sizeof(sz)), 0);
    CHECK(right.cline == 4 && key_is(&right, 0, "m0") && key_is(&right, 1, "m1") && key_is(&right, 2, "r0"));
    CHECK(right.cbUncommittedFree == 12 && right.pgnoPrev == 49 && left.pgnoNext == 51);
    CHECK(src.cline == 0 && (src.fFlags & ESEPAGE_PG_EMPTY));
    CHECK(parent.cline == 2 && pgno_at(&parent, 0) == 49 && pgno_at(&parent, 1) == 51 && key_is(&parent, 1, ""));
    esepage_free(&src);
    esepage_free(&left);
    esepage_free(&right);
    esepage_free(&parent);
}

TEST(partial_left_merge_moves_the_first_lines_and_changes_the_left_separator)
{
    static const char *rgszS[] = { "m0", "m1", "m2", "m3" };
    static const char *rgszL[] = { "a0", "a1" };
    esepage src, left, parent;
    memset(&src, 0, sizeof(src));
    memset(&left, 0, sizeof(left));
    memset(&parent, 0, sizeof(parent));
    CHECK_ERR(mk_page(&src, 50, LEAF, rgszS, 4), 0);
    CHECK_ERR(mk_page(&left, 49, LEAF, rgszL, 2), 0);
    static const char *rgszP[] = { "a9", "" };
    static const uint32_t rgpg[] = { 49, 50 };
    CHECK_ERR(mk_internal(&parent, 60, PARENT, rgszP, rgpg, 2), 0);
    merge_args a0 = { .pgno = 60, .iline = 1, .fMerge = ESESPLIT_MERGE_KEYCHANGE };
    merge_args a1 = { .pgno = 50, .pgnoLeft = 49, .ilineMerge = 1, .type = ESESPLIT_MERGE_PARTIALLEFT, .szSep = "m1" };
    lrbuf l0, l1;
    mk_merge(&l0, &a0);
    mk_merge(&l1, &a1);
    esesplit_merge rg[2];
    CHECK_ERR(esesplit_parse_merge(&l0.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_merge(&l1.rec, &rg[1]), 0);
    esesplit_merge_pages pg[2] = { { &parent, NULL, NULL }, { &src, &left, NULL } };
    char sz[256];
    CHECK_ERR(esesplit_merge_apply(rg, 2, pg, sz, sizeof(sz)), 0);
    CHECK(left.cline == 4 && key_is(&left, 2, "m0") && key_is(&left, 3, "m1"));
    CHECK(src.cline == 2 && key_is(&src, 0, "m2") && !(src.fFlags & ESEPAGE_PG_EMPTY));
    CHECK(key_is(&parent, 0, "m1") && pgno_at(&parent, 0) == 49 && pgno_at(&parent, 1) == 50);
    esepage_free(&src);
    esepage_free(&left);
    esepage_free(&parent);
}

TEST(full_left_merge_repoints_and_deletes_in_the_parent)
{
    static const char *rgszS[] = { "m0" };
    static const char *rgszL[] = { "a0" };
    esepage src, left, parent;
    memset(&src, 0, sizeof(src));
    memset(&left, 0, sizeof(left));
    memset(&parent, 0, sizeof(parent));
    CHECK_ERR(mk_page(&src, 50, LEAF, rgszS, 1), 0);
    CHECK_ERR(mk_page(&left, 49, LEAF, rgszL, 1), 0);
    static const char *rgszP[] = { "a9", "m9", "" };
    static const uint32_t rgpg[] = { 49, 50, 70 };
    CHECK_ERR(mk_internal(&parent, 60, PARENT, rgszP, rgpg, 3), 0);
    merge_args a0 = { .pgno = 60, .iline = 1, .fMerge = ESESPLIT_MERGE_KEYCHANGE | ESESPLIT_MERGE_DELETENODE };
    merge_args a1 = { .pgno = 50, .pgnoLeft = 49, .pgnoRight = 70, .ilineMerge = 0, .fMerge = ESESPLIT_MERGE_EMPTY,
                      .type = ESESPLIT_MERGE_FULLLEFT };
    lrbuf l0, l1;
    mk_merge(&l0, &a0);
    mk_merge(&l1, &a1);
    esesplit_merge rg[2];
    CHECK_ERR(esesplit_parse_merge(&l0.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_merge(&l1.rec, &rg[1]), 0);
    esesplit_merge_pages pg[2] = { { &parent, NULL, NULL }, { &src, &left, NULL } };
    char sz[256];
    CHECK_ERR(esesplit_merge_apply(rg, 2, pg, sz, sizeof(sz)), 0);
    CHECK(left.cline == 2 && key_is(&left, 1, "m0") && left.pgnoNext == 70);
    CHECK(parent.cline == 2 && key_is(&parent, 0, "m9") && pgno_at(&parent, 0) == 49 && pgno_at(&parent, 1) == 70);
    CHECK(src.cline == 0 && (src.fFlags & ESEPAGE_PG_EMPTY));
    esepage_free(&src);
    esepage_free(&left);
    esepage_free(&parent);
}

TEST(empty_page_merge_of_the_last_page_nulls_the_new_last_key)
{
    static const char *rgszS[] = { "m0" };
    esepage src, left, parent;
    memset(&src, 0, sizeof(src));
    memset(&left, 0, sizeof(left));
    memset(&parent, 0, sizeof(parent));
    CHECK_ERR(mk_page(&src, 50, LEAF, rgszS, 1), 0);
    CHECK_ERR(esepage_set_flags(&src, 0, ESEPAGE_ND_DELETED, 0), 0);
    CHECK_ERR(mk_page(&left, 49, LEAF, rgszS, 0), 0);
    left.pgnoNext = 50;
    static const char *rgszP[] = { "a9", "" };
    static const uint32_t rgpg[] = { 49, 50 };
    CHECK_ERR(mk_internal(&parent, 60, PARENT, rgszP, rgpg, 2), 0);
    merge_args a0 = { .pgno = 60, .iline = 1, .fMerge = ESESPLIT_MERGE_DELETENODE };
    merge_args a1 = { .pgno = 50, .pgnoLeft = 49, .fMerge = ESESPLIT_MERGE_EMPTY, .type = ESESPLIT_MERGE_EMPTYPAGE };
    lrbuf l0, l1;
    mk_merge(&l0, &a0);
    mk_merge(&l1, &a1);
    esesplit_merge rg[2];
    CHECK_ERR(esesplit_parse_merge(&l0.rec, &rg[0]), 0);
    CHECK_ERR(esesplit_parse_merge(&l1.rec, &rg[1]), 0);
    CHECK(!esesplit_merge_needs_image(&rg[1]));
    esesplit_merge_pages pg[2] = { { &parent, NULL, NULL }, { &src, &left, NULL } };
    char sz[256];
    CHECK_ERR(esesplit_merge_apply(rg, 2, pg, sz, sizeof(sz)), 0);
    CHECK(parent.cline == 1 && key_is(&parent, 0, "") && pgno_at(&parent, 0) == 49);
    CHECK(left.pgnoNext == 0 && src.cline == 0 && (src.fFlags & ESEPAGE_PG_EMPTY));
    esepage_free(&src);
    esepage_free(&left);
    esepage_free(&parent);
}

TEST(merge_types_ese_never_logs_are_refused_by_name)
{
    merge_args a = { .pgno = 50, .type = ESESPLIT_MERGE_EMPTYTREE };
    lrbuf l;
    mk_merge(&l, &a);
    esesplit_merge m;
    CHECK_ERR(esesplit_parse_merge(&l.rec, &m), 0);
    esesplit_merge_pages pg = { NULL, NULL, NULL };
    char sz[256];
    CHECK_ERR(esesplit_merge_apply(&m, 1, &pg, sz, sizeof(sz)), JET_errFeatureNotAvailable);
    CHECK(strstr(sz, "EmptyTree") != NULL && strstr(sz, "never as a Merge2") != NULL);
    l.rgb[85] = ESESPLIT_MERGE_PAGEMOVE;
    CHECK_ERR(esesplit_parse_merge(&l.rec, &m), 0);
    CHECK_ERR(esesplit_merge_apply(&m, 1, &pg, sz, sizeof(sz)), JET_errFeatureNotAvailable);
    CHECK(strstr(sz, "PageMove") != NULL && strstr(sz, "never as a Merge2") != NULL);
    /* a truncated record does not decode */
    l.rec.cb = 50;
    CHECK_ERR(esesplit_parse_merge(&l.rec, &m), JET_errLogCorrupted);
}

/* ---- before-images ---------------------------------------------------------------------- */

TEST(dehydrated_image_rehydrates_to_the_page)
{
    static const char *rgsz[] = { "key000", "key001", "key002" };
    esepage p;
    memset(&p, 0, sizeof(p));
    CHECK_ERR(mk_page(&p, 20, LEAF, rgsz, 3), 0);
    uint8_t *pb = malloc(CB), *pbDry = malloc(CB), *pbOut = malloc(CB);
    CHECK(pb && pbDry && pbOut);
    CHECK_ERR(esepage_encode(&p, pb), 0);
    /* dehydrate: cut the free space, the tag array follows the data */
    uint32_t ctag = le_get16(pb + 34) & 0xFFF, ibMicFree = le_get16(pb + 32);
    uint32_t cbDry = 40 + ibMicFree + 4 * ctag;
    memcpy(pbDry, pb, 40 + ibMicFree);
    memcpy(pbDry + 40 + ibMicFree, pb + CB - 4 * ctag, 4 * ctag);
    le_put16(pbDry + 28, (uint16_t)(le_get16(pb + 28) - (CB - cbDry)));
    CHECK_ERR(esesplit_image(pbDry, cbDry, ESESPLIT_IMAGE_DEHYDRATED, CB, pbOut), 0);
    CHECK(memcmp(pbOut + 8, pb + 8, CB - 8) == 0);
    /* a short image that says it is neither compressed nor dehydrated, and a bad XPRESS header */
    CHECK_ERR(esesplit_image(pbDry, cbDry, 0, CB, pbOut), JET_errDecompressionFailed);
    pbDry[0] = 0x10;
    CHECK_ERR(esesplit_image(pbDry, cbDry, ESESPLIT_IMAGE_XPRESS, CB, pbOut), JET_errDecompressionFailed);
    free(pb);
    free(pbDry);
    free(pbOut);
    esepage_free(&p);
}

/* ---- page moves ------------------------------------------------------------------------- */

/* A PageMove record moving src (its image as ESE logs it: header part up to
 * the end of the data, trailer part = the tag array) to pgnoDest. */
typedef struct {
    uint8_t rgb[96 + CB];
    ESEPY_ESE_LOGRECORD rec;
} mvbuf;

static void mk_move(mvbuf *pl, const esepage *src, uint32_t pgnoDest, uint32_t pgnoLeft, uint32_t pgnoRight,
                    uint32_t pgnoParent, int32_t ilineParent, uint32_t fMove)
{
    memset(pl, 0, sizeof(*pl));
    uint8_t *p = pl->rgb, pb[CB];
    p[0] = ESEPY_ESE_LRTYP_PAGEMOVE;
    p[3] = 1;
    le_put32(p + 4, src->pgno);
    le_put64(p + 8, 300);
    le_put64(p + 16, src->dbtime);
    le_put32(p + 32, pgnoDest);
    le_put32(p + 36, pgnoLeft);
    le_put32(p + 40, pgnoRight);
    le_put32(p + 44, pgnoParent);
    le_put64(p + 48, 100);
    le_put64(p + 56, 100);
    le_put64(p + 64, 100);
    le_put32(p + 72, 3);
    le_put32(p + 76, src->objidFDP);
    le_put32(p + 80, (uint32_t)ilineParent);
    le_put32(p + 84, fMove);
    if (esepage_encode(src, pb) < 0)
        return;
    uint32_t cbHeader = 40u + le_get16(pb + 32), cbTrailer = 4u * (le_get16(pb + 34) & 0xFFFu);
    le_put32(p + 88, cbHeader);
    le_put32(p + 92, cbTrailer);
    memcpy(p + 96, pb, cbHeader);
    memcpy(p + 96 + cbHeader, pb + CB - cbTrailer, cbTrailer);
    pl->rec.cbStruct = sizeof(pl->rec);
    pl->rec.lrtyp = ESEPY_ESE_LRTYP_PAGEMOVE;
    pl->rec.pb = p;
    pl->rec.cb = 96 + cbHeader + cbTrailer;
    pl->rec.pgno = src->pgno;
}

/* Every line of a and b equal: flags, full key, data. */
static int same_lines(const esepage *a, const esepage *b)
{
    uint32_t iline = 0;
    int r = esepage_compare(a, b, &iline);
    return r == 0 || r == 1; /* 1: a header field differs (pgno, dbtime, flags), checked apart */
}

TEST(page_move_copies_the_page_and_fixes_parent_and_siblings)
{
    static const char *rgsz[] = { "key010", "key011", "key012" };
    static const char *rgszParent[] = { "key005", "key010", "" };
    static const uint32_t rgpgno[] = { 40, 41, 42 };
    esepage src, left, right, parent, dest;
    memset(&src, 0, sizeof(src)); memset(&left, 0, sizeof(left)); memset(&right, 0, sizeof(right));
    memset(&parent, 0, sizeof(parent)); memset(&dest, 0, sizeof(dest));
    CHECK_ERR(mk_page(&src, 41, LEAF, rgsz, 3), 0);
    CHECK_ERR(esepage_set_external_header(&src, (const uint8_t *)"key01", 5), 0);
    CHECK_ERR(esepage_set_flags(&src, 1, ESEPAGE_ND_DELETED, 0), 0);
    src.pgnoPrev = 40;
    src.pgnoNext = 42;
    CHECK_ERR(mk_page(&left, 40, LEAF, rgsz, 1), 0);
    left.pgnoNext = 41;
    CHECK_ERR(mk_page(&right, 42, LEAF, rgsz + 2, 1), 0);
    right.pgnoPrev = 41;
    CHECK_ERR(mk_internal(&parent, 30, PARENT, rgszParent, rgpgno, 3), 0);
    mvbuf mb;
    mk_move(&mb, &src, 77, 40, 42, 30, 1, 0);
    esesplit_pagemove mv;
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), 0);
    CHECK(mv.pgno == 41 && mv.pgnoDest == 77 && mv.pgnoParent == 30 && mv.ilineParent == 1 && mv.dbtime == 300);
    /* the destination: the source's content, node by node, as page 77 at the record's dbtime */
    CHECK_ERR(esesplit_pagemove_dest(&mv, CB, &dest), 0);
    CHECK(dest.pgno == 77 && dest.dbtime == 300 && !(dest.fFlags & ESEPAGE_PG_PREINIT));
    CHECK(dest.pgnoPrev == 40 && dest.pgnoNext == 42 && dest.objidFDP == 7);
    CHECK(same_lines(&dest, &src) && dest.cline == 3);
    for (uint32_t i = 0; i < 3; i++)
        CHECK(key_is(&dest, i, rgsz[i]) && dest.rgline[i].fFlags == src.rgline[i].fFlags);
    CHECK(dest.rgreserved[0].cbData == 5 && memcmp(dest.rgreserved[0].pb, "key01", 5) == 0);
    /* the move: source emptied, parent and siblings point to 77 */
    esesplit_move_pages pg = { &src, &dest, &parent, &left, &right };
    char sz[256];
    CHECK_ERR(esesplit_pagemove_apply(&mv, &pg, sz, sizeof(sz)), 0);
    CHECK(src.cline == 0 && (src.fFlags & ESEPAGE_PG_EMPTY) && src.rgreserved[0].cbData == 0);
    CHECK(parent.cline == 3 && pgno_at(&parent, 0) == 40 && pgno_at(&parent, 1) == 77 && pgno_at(&parent, 2) == 42);
    CHECK(key_is(&parent, 1, "key010"));
    CHECK(left.pgnoNext == 77 && right.pgnoPrev == 77 && dest.pgnoPrev == 40 && dest.pgnoNext == 42);
    /* the encoded destination carries its own page number in its checksum */
    uint8_t pb[CB];
    CHECK_ERR(esepage_encode(&dest, pb), 0);
    CHECK(esefmt_checksum_ecc(pb, CB, 77, 1) == le_get64(pb));
    /* applying again finds the parent no longer pointing to the source: the dbtime rule
     * (eseredo) is what keeps a replay from doing it twice */
    CHECK_ERR(esesplit_pagemove_apply(&mv, &pg, sz, sizeof(sz)), JET_errDatabaseCorrupted);
    CHECK(strstr(sz, "does not point to the moved page 41") != NULL);
    esepage_free(&src); esepage_free(&left); esepage_free(&right); esepage_free(&parent); esepage_free(&dest);
}

TEST(page_move_source_reverts_to_the_logged_image)
{
    static const char *rgsz[] = { "a1", "a2" };
    esepage src, back;
    memset(&src, 0, sizeof(src));
    memset(&back, 0, sizeof(back));
    CHECK_ERR(mk_page(&src, 41, LEAF, rgsz, 2), 0);
    mvbuf mb;
    mk_move(&mb, &src, 77, 0, 0, 30, 0, 0);
    esesplit_pagemove mv;
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), 0);
    CHECK_ERR(esesplit_pagemove_source(&mv, CB, &back), 0);
    CHECK(back.pgno == 41 && back.dbtime == 100 && esepage_compare(&back, &src, NULL) == 0);
    esepage_free(&src);
    esepage_free(&back);
}

TEST(page_move_records_that_do_not_decode)
{
    static const char *rgsz[] = { "a1" };
    esepage src;
    memset(&src, 0, sizeof(src));
    CHECK_ERR(mk_page(&src, 41, LEAF, rgsz, 1), 0);
    mvbuf mb;
    esesplit_pagemove mv;
    mk_move(&mb, &src, 77, 0, 0, 30, 0, 0);
    mb.rec.cb -= 1; /* sizes do not add up */
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), JET_errLogCorrupted);
    mk_move(&mb, &src, 77, 0, 0, 30, 0, 0x8);   /* unknown move flag */
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), JET_errLogCorrupted);
    mk_move(&mb, &src, 77, 0, 0, 0, 0, 0x3);    /* two roots at once */
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), JET_errLogCorrupted);
    mk_move(&mb, &src, 77, 0, 0, 0, 0, 0);      /* a page of a tree without a parent */
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), JET_errLogCorrupted);
    mk_move(&mb, &src, 41, 0, 0, 30, 0, 0);     /* onto itself */
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), JET_errLogCorrupted);
    mk_move(&mb, &src, 77, 0, 0, 0, 0, ESESPLIT_MOVE_ROOTOE); /* a root needs no parent */
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), 0);
    le_put32(mb.rgb + 88, 10); /* a header part shorter than a page header */
    le_put32(mb.rgb + 92, mb.rec.cb - 96 - 10);
    esepage d;
    memset(&d, 0, sizeof(d));
    CHECK_ERR(esesplit_parse_pagemove(&mb.rec, &mv), 0);
    CHECK_ERR(esesplit_pagemove_dest(&mv, CB, &d), JET_errLogCorrupted);
    esepage_free(&src);
}

/* ---- scrub ------------------------------------------------------------------------------- */

typedef struct {
    uint8_t rgb[128];
    ESEPY_ESE_LOGRECORD rec;
} scbuf;

static void mk_scrub(scbuf *pl, uint32_t pgno, uint32_t fScrub, const uint8_t *rgop, uint32_t cop, uint32_t cbPad)
{
    memset(pl, 0, sizeof(*pl));
    uint8_t *p = pl->rgb;
    p[0] = ESEPY_ESE_LRTYP_SCRUB;
    le_put32(p + 4, pgno);
    le_put64(p + 8, 300);
    le_put64(p + 16, 100);
    le_put32(p + 44, fScrub);
    le_put32(p + 48, cop);
    le_put16(p + 52, (uint16_t)(cop + cbPad));
    if (cop)
        memcpy(p + 54, rgop, cop);
    pl->rec.cbStruct = sizeof(pl->rec);
    pl->rec.lrtyp = ESEPY_ESE_LRTYP_SCRUB;
    pl->rec.pb = p;
    pl->rec.cb = 54 + cop + cbPad;
    pl->rec.pgno = pgno;
}

TEST(scrub_of_a_used_page_overwrites_data_line_by_line)
{
    static const char *rgsz[] = { "k1", "k2", "k3" };
    esepage p;
    memset(&p, 0, sizeof(p));
    CHECK_ERR(mk_page(&p, 20, LEAF, rgsz, 3), 0);
    CHECK_ERR(esepage_set_flags(&p, 0, ESEPAGE_ND_DELETED | ESEPAGE_ND_VERSION, 0), 0);
    CHECK_ERR(esepage_set_flags(&p, 2, ESEPAGE_ND_DELETED, 0), 0);
    static const uint8_t rgop[3] = { ESESPLIT_SCRUBOP_DATA, ESESPLIT_SCRUBOP_NONE, ESESPLIT_SCRUBOP_LVDATA };
    scbuf sb;
    mk_scrub(&sb, 20, 0, rgop, 3, 7); /* with padding, as ESE pads scrub records */
    esesplit_scrub sc;
    CHECK_ERR(esesplit_parse_scrub(&sb.rec, &sc), 0);
    char sz[160];
    CHECK_ERR(esesplit_scrub_apply(&sc, &p, sz, sizeof(sz)), 0);
    const uint8_t *pb;
    uint32_t cb;
    CHECK(p.cline == 3 && key_is(&p, 0, "k1") && key_is(&p, 1, "k2") && key_is(&p, 2, "k3"));
    CHECK_ERR(esepage_data(&p, 0, &pb, &cb), 0);
    CHECK(cb == 3 && memcmp(pb, "DDD", 3) == 0 && p.rgline[0].fFlags == ESEPAGE_ND_DELETED);
    CHECK_ERR(esepage_data(&p, 1, &pb, &cb), 0);
    CHECK(cb == 3 && memcmp(pb, "dk2", 3) == 0);
    CHECK_ERR(esepage_data(&p, 2, &pb, &cb), 0);
    CHECK(cb == 3 && pb[0] == 0x20 && pb[1] == 'L' && pb[2] == 'L');
    /* the free space is filled with 'Z' */
    uint8_t rgb[CB];
    CHECK_ERR(esepage_encode(&p, rgb), 0);
    uint32_t ibMicFree = le_get16(rgb + 32), cbFree = le_get16(rgb + 28);
    CHECK(cbFree > 0 && rgb[40 + ibMicFree] == 'Z' && rgb[40 + ibMicFree + cbFree - 1] == 'Z');
    /* scrubbing twice gives the same page */
    uint8_t rgb2[CB];
    CHECK_ERR(esesplit_scrub_apply(&sc, &p, sz, sizeof(sz)), 0);
    CHECK_ERR(esepage_encode(&p, rgb2), 0);
    CHECK(memcmp(rgb, rgb2, CB) == 0);
    /* the operations must match the page's lines */
    mk_scrub(&sb, 20, 0, rgop, 2, 0);
    CHECK_ERR(esesplit_parse_scrub(&sb.rec, &sc), 0);
    CHECK_ERR(esesplit_scrub_apply(&sc, &p, sz, sizeof(sz)), JET_errDatabaseCorrupted);
    static const uint8_t rgopBad[3] = { 0, 9, 0 };
    mk_scrub(&sb, 20, 0, rgopBad, 3, 0);
    CHECK_ERR(esesplit_parse_scrub(&sb.rec, &sc), 0);
    CHECK_ERR(esesplit_scrub_apply(&sc, &p, sz, sizeof(sz)), JET_errLogCorrupted);
    CHECK(strstr(sz, "unknown operation 9") != NULL);
    esepage_free(&p);
}

TEST(scrub_of_an_unused_page_removes_every_line)
{
    static const char *rgsz[] = { "k1", "k2" };
    esepage p;
    memset(&p, 0, sizeof(p));
    CHECK_ERR(mk_page(&p, 20, LEAF, rgsz, 2), 0);
    CHECK_ERR(esepage_set_external_header(&p, (const uint8_t *)"k", 1), 0);
    scbuf sb;
    mk_scrub(&sb, 20, ESESPLIT_SCRUB_UNUSEDPAGE, NULL, 0, 4);
    esesplit_scrub sc;
    CHECK_ERR(esesplit_parse_scrub(&sb.rec, &sc), 0);
    char sz[160];
    CHECK_ERR(esesplit_scrub_apply(&sc, &p, sz, sizeof(sz)), 0);
    CHECK(p.cline == 0 && p.rgreserved[0].cbData == 1);
    uint8_t rgb[CB];
    CHECK_ERR(esepage_encode(&p, rgb), 0);
    CHECK(rgb[CB - 4 - 1] == 'U' && rgb[40 + 1] == 'U');
    /* records that do not decode */
    sb.rec.cb = 50;
    CHECK_ERR(esesplit_parse_scrub(&sb.rec, &sc), JET_errLogCorrupted);
    mk_scrub(&sb, 20, 0x2, NULL, 0, 0);
    CHECK_ERR(esesplit_parse_scrub(&sb.rec, &sc), JET_errLogCorrupted);
    esepage_free(&p);
}

UNIT_MAIN()
