/* Unit tests of the mutable ESE page model (csrc/esefmt/esepage.c) and of
 * the ReplaceD diff of eseredo.c: every page of every real sample decoded
 * and encoded again reads identically through the existing reader
 * (esefmt_page_*), with a valid checksum of its own scheme; edits on a
 * formatted page read back as made. */
#include "unit.h"
#include "esefmt_int.h"
#include "esepage.h"
#include "eseredo.h"

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

/* The reader sees the two pages alike: header fields, every tag's flags
 * and, for nodes, prefix + suffix + data; returns 0 or a line number. */
static int same_for_reader(ESEPY_ESE_FILE *pf, const uint8_t *a, const uint8_t *b, uint32_t pgno)
{
    esefmt_page pa, pb;
    esefmt_page_init(pf, a, pgno, &pa);
    esefmt_page_init(pf, b, pgno, &pb);
    if (pa.ctag != pb.ctag || pa.fFlags != pb.fFlags || pa.objidFDP != pb.objidFDP || pa.pgnoPrev != pb.pgnoPrev ||
        pa.pgnoNext != pb.pgnoNext || le_get64(a + 8) != le_get64(b + 8) || le_get16(a + 30) != le_get16(b + 30))
        return __LINE__;
    for (uint32_t itag = 0; itag < pa.ctag; itag++) {
        esefmt_line la, lb;
        JET_ERR ea = esefmt_page_line(&pa, itag, &la), eb = esefmt_page_line(&pb, itag, &lb);
        if (ea != eb)
            return __LINE__;
        if (ea < 0)
            continue;
        if (itag == 0) {
            if (la.cb != lb.cb || memcmp(la.pb, lb.pb, la.cb) != 0)
                return __LINE__;
            continue;
        }
        if (la.fFlags != lb.fFlags)
            return __LINE__;
        esefmt_node na, nb;
        ea = esefmt_page_node(&pa, itag, &na);
        eb = esefmt_page_node(&pb, itag, &nb);
        if (ea != eb)
            return __LINE__;
        if (ea < 0)
            continue;
        if (na.cbPrefix != nb.cbPrefix || na.cbSuffix != nb.cbSuffix || na.cbData != nb.cbData ||
            (na.cbPrefix && memcmp(na.pbPrefix, nb.pbPrefix, na.cbPrefix) != 0) ||
            (na.cbSuffix && memcmp(na.pbSuffix, nb.pbSuffix, na.cbSuffix) != 0) ||
            (na.cbData && memcmp(na.pbData, nb.pbData, na.cbData) != 0))
            return __LINE__;
    }
    return 0;
}

static void round_trip(const char *name, uint32_t *pcpage, uint32_t *pcidentical)
{
    char path[1024];
    const char *dir = sample_dir();
    CHECK(dir != NULL);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ESEPY_ESE_FILE *pf = NULL;
    CHECK_ERR(EsepyEseOpen(path, 0, &pf), JET_errSuccess);
    uint32_t cbPage = pf->cbPage;
    uint8_t *raw = malloc(cbPage), *enc = malloc(cbPage), *enc2 = malloc(cbPage);
    int fail = 0;
    for (uint32_t pgno = 1; pgno <= pf->cpg && !fail; pgno++) {
        if (EsepyEseReadPage(pf, pgno, raw, cbPage) < 0) {
            fail = __LINE__;
            break;
        }
        ESEPY_ESE_PAGEINFO info;
        memset(&info, 0, sizeof(info));
        esefmt_page_verify(pf, raw, pgno, &info);
        if (info.status != ESEPY_ESE_PAGE_OK)
            continue; /* blank pages and damaged ones (none in the samples) */
        esepage pg, pg2;
        memset(&pg, 0, sizeof(pg));
        memset(&pg2, 0, sizeof(pg2));
        JET_ERR err = esepage_decode(raw, cbPage, pgno, &pg);
        if (err < 0) {
            fprintf(stderr, "%s page %u: decode %d\n", name, pgno, err);
            fail = __LINE__;
            break;
        }
        err = esepage_encode(&pg, enc);
        if (err < 0) {
            fprintf(stderr, "%s page %u: encode %d\n", name, pgno, err);
            fail = __LINE__;
        }
        ESEPY_ESE_PAGEINFO info2;
        memset(&info2, 0, sizeof(info2));
        if (!fail) {
            esefmt_page_verify(pf, enc, pgno, &info2);
            if (info2.status != ESEPY_ESE_PAGE_OK) {
                fprintf(stderr, "%s page %u: re-encoded page fails its checksum (%d)\n", name, pgno, info2.status);
                fail = __LINE__;
            }
        }
        int line = fail ? 0 : same_for_reader(pf, raw, enc, pgno);
        if (line) {
            fprintf(stderr, "%s page %u: the reader sees a difference (check at line %d)\n", name, pgno, line);
            fail = line;
        }
        if (!fail && (esepage_decode(enc, cbPage, pgno, &pg2) < 0 || esepage_compare(&pg, &pg2, NULL) != 0)) {
            fprintf(stderr, "%s page %u: the re-encoded page decodes differently\n", name, pgno);
            fail = __LINE__;
        }
        if (!fail && esepage_encode(&pg2, enc2) >= 0 && memcmp(enc, enc2, cbPage) != 0) {
            fprintf(stderr, "%s page %u: encoding is not stable\n", name, pgno);
            fail = __LINE__;
        }
        /* byte-identical with Windows' placement (stretch: counted, not required) */
        if (!fail && memcmp(raw + 8, enc + 8, cbPage - 8) == 0)
            (*pcidentical)++;
        (*pcpage)++;
        esepage_free(&pg);
        esepage_free(&pg2);
    }
    free(raw);
    free(enc);
    free(enc2);
    EsepyEseClose(pf);
    CHECK(fail == 0);
}

#define SAMPLE_TEST(tname, file, cmin)                                                        \
    TEST(round_trip_##tname)                                                                  \
    {                                                                                         \
        uint32_t c = 0, cid = 0;                                                              \
        round_trip(file, &c, &cid);                                                           \
        printf("  %s: %u pages round-tripped, %u byte-identical\n", file, c, cid);            \
        CHECK(c >= (cmin));                                                                   \
    }

SAMPLE_TEST(dissect_binary, "dissect_binary_4k.edb", 10)
SAMPLE_TEST(dissect_large, "dissect_large_32k.edb", 10)
SAMPLE_TEST(dissect_multi, "dissect_multi_4k.edb", 10)
SAMPLE_TEST(dissect_text, "dissect_text_4k.edb", 10)
SAMPLE_TEST(qmgr, "qmgr_win11_24h2_16k.db", 10)
SAMPLE_TEST(stroz_7bit, "stroz_decompress_7bit_8k.edb", 10)
SAMPLE_TEST(stroz_lzx, "stroz_decompress_lzxpress_8k.edb", 10)
SAMPLE_TEST(srum_dirty, "srum_win11_dirty/SRUDB.dat", 400)
SAMPLE_TEST(srum_repaired, "srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat", 400)

static void edits_on(uint32_t cbPage)
{
    esepage pg;
    memset(&pg, 0, sizeof(pg));
    CHECK_ERR(esepage_format(&pg, cbPage, 77, 9, 1000, ESEPAGE_PG_LEAF), JET_errSuccess);
    CHECK(pg.cline == 0 && pg.ctagReserved == 1);
    static const uint8_t prefix[] = { 'k', 'e', 'y', '-' };
    CHECK_ERR(esepage_set_external_header(&pg, prefix, sizeof(prefix)), JET_errSuccess);
    static const uint8_t k1[] = { 'k', 'e', 'y', '-', '1' }, k2[] = { 'a', 'b' }, k3[] = { 'k', 'e', 'y', '-', '3' };
    CHECK_ERR(esepage_insert(&pg, 0, k1, 5, 4, (const uint8_t *)"one", 3, ESEPAGE_ND_VERSION), JET_errSuccess);
    CHECK_ERR(esepage_insert(&pg, 0, k2, 2, 0, (const uint8_t *)"zero", 4, 0), JET_errSuccess);
    CHECK_ERR(esepage_insert(&pg, 2, k3, 5, 3, (const uint8_t *)"three", 5, 0), JET_errSuccess);
    CHECK_ERR(esepage_insert(&pg, 9, k3, 5, 3, NULL, 0, 0), JET_errInvalidParameter);
    CHECK_ERR(esepage_insert(&pg, 0, k2, 2, 3, NULL, 0, 0), JET_errDatabaseCorrupted); /* prefix > key */
    CHECK_ERR(esepage_replace_data(&pg, 1, (const uint8_t *)"uno!", 4), JET_errSuccess);
    CHECK_ERR(esepage_set_flags(&pg, 2, ESEPAGE_ND_DELETED, 0), JET_errSuccess);
    CHECK_ERR(esepage_set_flags(&pg, 2, ESEPAGE_ND_COMPRESSED, 0), JET_errInvalidParameter);
    uint8_t key[32];
    uint32_t cbKey = 0;
    CHECK_ERR(esepage_key(&pg, 1, key, sizeof(key), &cbKey), JET_errSuccess);
    CHECK(cbKey == 5 && memcmp(key, k1, 5) == 0);
    CHECK_ERR(esepage_key(&pg, 1, key, 2, &cbKey), JET_wrnBufferTruncated);
    CHECK(cbKey == 5);
    uint8_t *pb = malloc(cbPage);
    CHECK_ERR(esepage_encode(&pg, pb), JET_errSuccess);

    /* the existing reader sees what was made */
    ESEPY_ESE_FILE file;
    memset(&file, 0, sizeof(file));
    file.cbPage = cbPage;
    file.fSmall = cbPage <= 8192;
    file.cbPageHeader = file.fSmall ? 40 : 80;
    ESEPY_ESE_PAGEINFO info;
    memset(&info, 0, sizeof(info));
    esefmt_page_verify(&file, pb, 77, &info);
    CHECK(info.status == ESEPY_ESE_PAGE_OK && info.fNewChecksumFormat);
    esefmt_page page;
    esefmt_page_init(&file, pb, 77, &page);
    CHECK(page.ctag == 4 && page.objidFDP == 9 && le_get64(pb + 8) == 1000);
    CHECK(le_get16(pb + 28) == cbPage - file.cbPageHeader - le_get16(pb + 32) - 16); /* cbFree */
    esefmt_node n;
    CHECK_ERR(esefmt_page_node(&page, 1, &n), JET_errSuccess);
    CHECK(n.cbPrefix == 0 && n.cbSuffix == 2 && memcmp(n.pbData, "zero", 4) == 0 && n.fFlags == 0);
    CHECK_ERR(esefmt_page_node(&page, 2, &n), JET_errSuccess);
    CHECK(n.cbPrefix == 4 && n.cbSuffix == 1 && n.pbSuffix[0] == '1' && n.cbData == 4 &&
          memcmp(n.pbData, "uno!", 4) == 0 && n.fFlags == (ESEFMT_ND_VERSION | ESEFMT_ND_COMPRESSED));
    CHECK_ERR(esefmt_page_node(&page, 3, &n), JET_errSuccess);
    CHECK(n.cbPrefix == 3 && n.cbSuffix == 2 && n.fFlags == (ESEFMT_ND_DELETED | ESEFMT_ND_COMPRESSED));

    /* E1: shrinking the prefix below a line's count is caught at encode */
    CHECK_ERR(esepage_set_external_header(&pg, prefix, 2), JET_errSuccess);
    CHECK_ERR(esepage_encode(&pg, pb), JET_errDatabaseCorrupted);
    CHECK_ERR(esepage_set_external_header(&pg, prefix, 4), JET_errSuccess);
    CHECK_ERR(esepage_delete(&pg, 1), JET_errSuccess);
    CHECK_ERR(esepage_delete(&pg, 5), JET_errInvalidParameter);
    CHECK(pg.cline == 2);
    /* E2: content that does not fit is refused */
    uint8_t *big = calloc(1, cbPage);
    CHECK_ERR(esepage_insert(&pg, 0, k2, 2, 0, big, cbPage - 60, 0), JET_errSuccess);
    CHECK_ERR(esepage_encode(&pg, pb), JET_errPageSizeMismatch);
    free(big);
    /* a copy compares equal; a pre-initialised page has no tags until used */
    esepage cp;
    CHECK_ERR(esepage_copy(&cp, &pg), JET_errSuccess);
    CHECK(esepage_compare(&pg, &cp, NULL) == 0);
    CHECK_ERR(esepage_set_flags(&cp, 1, ESEPAGE_ND_DELETED, 0), JET_errSuccess);
    uint32_t iline = 99;
    CHECK(esepage_compare(&pg, &cp, &iline) == 101 && iline == 1);
    esepage_free(&cp);
    CHECK_ERR(esepage_format(&pg, cbPage, 78, 9, 1001, ESEPAGE_PG_PREINIT), JET_errSuccess);
    CHECK(pg.ctagReserved == 0);
    CHECK_ERR(esepage_encode(&pg, pb), JET_errSuccess);
    esefmt_page_init(&file, pb, 78, &page);
    CHECK(page.ctag == 0 && (page.fFlags & ESEPAGE_PG_PREINIT));
    CHECK_ERR(esepage_insert(&pg, 0, k2, 2, 0, NULL, 0, 0), JET_errSuccess);
    CHECK(pg.ctagReserved == 1 && !(pg.fFlags & ESEPAGE_PG_PREINIT));
    esepage_free(&pg);
    free(pb);
}

TEST(edits_small_pages) { edits_on(4096); }
TEST(edits_8k_pages) { edits_on(8192); }
TEST(edits_large_pages) { edits_on(16384); }
TEST(edits_32k_pages) { edits_on(32768); }

TEST(legacy_xor_checksum)
{
    esepage pg;
    memset(&pg, 0, sizeof(pg));
    CHECK_ERR(esepage_format(&pg, 4096, 5, 2, 64, ESEPAGE_PG_LEAF), JET_errSuccess);
    pg.fFlags &= ~ESEPAGE_PG_NEWCHK;
    uint8_t pb[4096];
    CHECK_ERR(esepage_encode(&pg, pb), JET_errSuccess);
    CHECK(le_get32(pb + 4) == 5 && le_get32(pb) == esefmt_checksum_xor(pb, 4096));
    esepage_free(&pg);
}

TEST(replaced_diffs)
{
    const uint8_t old[] = "abcdefghij";
    uint8_t out[64];
    uint32_t cb = 0;
    /* DIFFHDR: at 2 replace 3 bytes with same length "XYZ"; at 8 insert "++" */
    const uint8_t d1[] = { 0x02, 0x20, 3, 'X', 'Y', 'Z', 0x08, 0x40, 2, '+', '+' };
    CHECK_ERR(eseredo_after_image(d1, sizeof(d1), 0, old, 10, out, sizeof(out), &cb), JET_errSuccess);
    CHECK(cb == 12 && memcmp(out, "abXYZfgh++ij", 12) == 0);
    /* DIFFHDR2: at 1 replace 4 old bytes with 1 new byte (two-byte lengths) */
    const uint8_t d2[] = { 0x01, 0x00, 0x80, 1, 0, 4, 0, '#' };
    CHECK_ERR(eseredo_after_image(d2, sizeof(d2), 1, old, 10, out, sizeof(out), &cb), JET_errSuccess);
    CHECK(cb == 7 && memcmp(out, "a#fghij", 7) == 0);
    /* damaged: offsets going backwards, past the old data, truncated entries */
    const uint8_t d3[] = { 0x05, 0x20, 1, 'x', 0x02, 0x20, 1, 'y' };
    CHECK_ERR(eseredo_after_image(d3, sizeof(d3), 0, old, 10, out, sizeof(out), &cb), JET_errLogCorrupted);
    const uint8_t d4[] = { 0x0B, 0x40, 1, 'x' };
    CHECK_ERR(eseredo_after_image(d4, sizeof(d4), 0, old, 10, out, sizeof(out), &cb), JET_errLogCorrupted);
    for (uint32_t c = 1; c < sizeof(d1); c++)
        if (c != 6)
            CHECK_ERR(eseredo_after_image(d1, c, 0, old, 10, out, sizeof(out), &cb), JET_errLogCorrupted);
    CHECK_ERR(eseredo_after_image(d1, sizeof(d1), 0, old, 10, out, 8, &cb), JET_errLogCorrupted);
}

/* ---- eseredo: synthetic records over a real page ----------------------------------------- */

typedef struct {
    int      c;
    uint32_t op[16];
    int      fRedone[16];
    uint32_t cbKey[16], cbBefore[16];
    uint8_t  before[16][8];
} hook_log;

static JET_ERR hook(void *pv, const ESEREDO_VERSION *pver)
{
    hook_log *pl = pv;
    if (pl->c < 16) {
        pl->op[pl->c] = pver->op;
        pl->fRedone[pl->c] = pver->fRedone;
        pl->cbKey[pl->c] = pver->pbKey ? pver->cbKey : 0;
        pl->cbBefore[pl->c] = pver->cbBefore;
        if (pver->pbBefore != NULL && pver->cbBefore <= 8)
            memcpy(pl->before[pl->c], pver->pbBefore, pver->cbBefore);
    }
    pl->c++;
    return JET_errSuccess;
}

static ESEPY_ESE_LOGRECORD node_rec(uint32_t lrtyp, uint32_t pgno, uint64_t dbtime, uint64_t before, uint32_t iline,
                                    int32_t gen)
{
    ESEPY_ESE_LOGRECORD r;
    memset(&r, 0, sizeof(r));
    r.cbStruct = sizeof(r);
    r.lrtyp = lrtyp;
    r.pgno = pgno;
    r.dbtime = dbtime;
    r.dbtimeBefore = before;
    r.iline = iline;
    r.fPageFlags = 0x01; /* versioned */
    r.lgpos.lGeneration = gen;
    r.lgpos.isec = 1;
    r.dbid = 1;
    return r;
}

static int line_is(esepage *pp, uint32_t iline, uint32_t fFlags, const char *data)
{
    const uint8_t *pb;
    uint32_t cb;
    if (esepage_data(pp, iline, &pb, &cb) < 0)
        return 0;
    return pp->rgline[iline].fFlags == fFlags && cb == strlen(data) && memcmp(pb, data, cb) == 0;
}

TEST(redo_node_records)
{
    char path[1024], tmp[1024];
    const char *dir = sample_dir();
    CHECK(dir != NULL);
    snprintf(path, sizeof(path), "%s/srum_win11_dirty/SRUDB.dat", dir);
    snprintf(tmp, sizeof(tmp), "%s/redo.tmp", unit_dir("esepage_redo"));
    ESEPY_ESE_FILE *pf = NULL;
    CHECK_ERR(EsepyEseOpen(path, 0, &pf), JET_errSuccess);
    ESEPY_ESE_RECOVERINFO info;
    memset(&info, 0, sizeof(info));
    eseredo *pr = NULL;
    CHECK_ERR(eseredo_open(pf, path, tmp, 3, &info, &pr), JET_errSuccess);
    hook_log hl;
    memset(&hl, 0, sizeof(hl));
    eseredo_set_version_hook(pr, hook, &hl);
    const uint32_t P = 377; /* a leaf of a SRUM table */
    esepage *pp = NULL;
    CHECK_ERR(eseredo_page_get(pr, P, &pp, NULL), JET_errSuccess);
    const uint64_t D = pp->dbtime;
    const uint32_t cline0 = pp->cline;
    esepage orig;
    CHECK_ERR(esepage_copy(&orig, pp), JET_errSuccess);
    eseredo_page_release(pr, pp, 0);

    ESEPY_ESE_LOGRECORD r = node_rec(ESEPY_ESE_LRTYP_INSERT, P, D + 1, D, 0, 2);
    static const uint8_t key[] = { 0x01, 0x02, 0x03 };
    r.pbKey = key;
    r.cbKey = 3;
    r.pbData = (const uint8_t *)"hello!";
    r.cbData = 6;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    r = node_rec(ESEPY_ESE_LRTYP_FLAGDELETE, P, D + 2, D + 1, 0, 2);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    r = node_rec(ESEPY_ESE_LRTYP_REPLACE, P, D + 3, D + 2, 0, 2);
    r.pbData = (const uint8_t *)"HELLO!";
    r.cbData = r.cbNewData = 6;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    static const uint8_t diff[] = { 0x00, 0x20, 1, 'J' };
    r = node_rec(ESEPY_ESE_LRTYP_REPLACED, P, D + 4, D + 3, 0, 2);
    r.pbData = diff;
    r.cbData = sizeof(diff);
    r.cbNewData = 6;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    r = node_rec(ESEPY_ESE_LRTYP_DELTA, P, D + 5, D + 4, 0, 2);
    r.delta = 1;
    r.ibOffset = 2;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    CHECK_ERR(eseredo_page_get(pr, P, &pp, NULL), JET_errSuccess);
    CHECK(pp->cline == cline0 + 1 && pp->dbtime == D + 5);
    CHECK(line_is(pp, 0, ESEPAGE_ND_VERSION | ESEPAGE_ND_DELETED, "JEMLO!")); /* "LLO!" + 1 */
    eseredo_page_release(pr, pp, 0);
    r = node_rec(ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA, P, D + 6, D + 5, 0, 2);
    r.pbData = (const uint8_t *)"xyz";
    r.cbData = 3;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    CHECK_ERR(eseredo_page_get(pr, P, &pp, NULL), JET_errSuccess);
    CHECK(line_is(pp, 0, ESEPAGE_ND_VERSION, "xyz"));
    eseredo_page_release(pr, pp, 0);
    /* the version store saw every versioned record, with keys and before-images */
    CHECK(hl.c == 6);
    CHECK(hl.op[0] == ESEREDO_VER_INSERT && hl.fRedone[0] && hl.cbKey[0] == 3);
    CHECK(hl.op[1] == ESEREDO_VER_FLAGDELETE && hl.cbKey[1] == 3);
    CHECK(hl.op[2] == ESEREDO_VER_REPLACE && hl.cbBefore[2] == 6 && memcmp(hl.before[2], "hello!", 6) == 0);
    CHECK(hl.op[4] == ESEREDO_VER_DELTA && hl.op[5] == ESEREDO_VER_FLAGINSERTREPLACE);

    /* the dbtime rule: already applied (in range), beyond the range, too old, too new */
    r = node_rec(ESEPY_ESE_LRTYP_FLAGINSERT, P, D + 2, D + 1, 0, 3);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    CHECK(hl.c == 7 && hl.fRedone[6] == 0);
    r.lgpos.lGeneration = 4;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errDbTimeBeyondMaxRequired);
    CHECK(info.pgno == P && strstr(info.szReason, "required range") != NULL);
    r = node_rec(ESEPY_ESE_LRTYP_DELETE, P, D + 101, D + 100, 0, 2);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errDbTimeTooOld);
    CHECK(info.dbtimePage == D + 6 && strcmp(info.szRecordType, "Delete") == 0);
    r = node_rec(ESEPY_ESE_LRTYP_DELETE, P, D + 50, D + 5, 0, 2);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errDbTimeTooNew);
    /* a line that is not there */
    r = node_rec(ESEPY_ESE_LRTYP_FLAGDELETE, P, D + 7, D + 6, cline0 + 5, 2);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errDatabaseCorrupted);
    r = node_rec(ESEPY_ESE_LRTYP_DELETE, P, D + 7, D + 6, 0, 2);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    CHECK_ERR(eseredo_page_get(pr, P, &pp, NULL), JET_errSuccess);
    orig.dbtime = D + 7;
    CHECK(esepage_compare(pp, &orig, NULL) == 0); /* back to the original content */
    eseredo_page_release(pr, pp, 0);

    /* macros: two Inserts on one page with the macro's dbtime, the page decided once */
    eseredo_buf buf;
    memset(&buf, 0, sizeof(buf));
    for (int i = 0; i < 2; i++) {
        r = node_rec(ESEPY_ESE_LRTYP_INSERT, P, D + 9, ESEREDO_DBTIME_NIL, 0, 2);
        r.pbKey = key;
        r.cbKey = 3;
        r.pbData = (const uint8_t *)(i ? "two" : "one");
        r.cbData = 3;
        r.pb = (const uint8_t *)"raw-record-bytes";
        r.cb = 16;
        CHECK_ERR(eseredo_buf_add(&buf, &r), JET_errSuccess);
    }
    CHECK(buf.crec == 2 && buf.rgrec[0].rec.pb != r.pb && buf.rgrec[0].rec.pbKey != key && /* copies */
          memcmp(buf.rgrec[1].rec.pb, "raw-record-bytes", 16) == 0 && memcmp(buf.rgrec[1].rec.pbData, "two", 3) == 0);
    CHECK_ERR(eseredo_apply_macro(pr, &buf, D + 9), JET_errSuccess);
    eseredo_buf_free(&buf);
    CHECK_ERR(eseredo_page_get(pr, P, &pp, NULL), JET_errSuccess);
    CHECK(pp->cline == cline0 + 2 && pp->dbtime == D + 9 && line_is(pp, 0, ESEPAGE_ND_VERSION, "two") &&
          line_is(pp, 1, ESEPAGE_ND_VERSION, "one"));
    eseredo_page_release(pr, pp, 0);

    /* ExtendDB, NewPage past the old end, then its external header and a compressed insert */
    const uint32_t cpg0 = pf->cpg;
    r = node_rec(ESEPY_ESE_LRTYP_EXTENDDB, 0, 0, 0, 0, 2);
    CHECK_ERR(eseredo_extend(pr, &r, cpg0 + 8), JET_errSuccess);
    CHECK(eseredo_has_output(pr) && eseredo_cpg(pr) == cpg0 + 8);
    const uint32_t N = cpg0 + 3;
    r = node_rec(ESEPY_ESE_LRTYP_NEWPAGE, N, 500000, ESEREDO_DBTIME_NIL, 0, 2);
    r.objidFDP = 42;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    r = node_rec(ESEPY_ESE_LRTYP_SETEXTERNALHEADER, N, 500001, 500000, 0, 2);
    r.pbData = (const uint8_t *)"pre";
    r.cbData = 3;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    r = node_rec(ESEPY_ESE_LRTYP_INSERT, N, 500002, 500001, 0, 2);
    r.pbKey = (const uint8_t *)"prefix";
    r.cbKey = 6;
    r.cbKeyPrefix = 3;
    r.fPageFlags = 0;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    /* a page past the end of the file (ExtendDB included) is never written */
    r = node_rec(ESEPY_ESE_LRTYP_NEWPAGE, 0x7FFFFFF0u, 500003, ESEREDO_DBTIME_NIL, 0, 2);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errFileIOBeyondEOF);
    CHECK(info.pgno == 0x7FFFFFF0u && strstr(info.szReason, "past the end") != NULL);
    /* CreateSingleExtentFDP and CreateMultipleExtentFDP on blank pages past the old end */
    uint8_t raw[64];
    memset(raw, 0, sizeof(raw));
    le_put32(raw + 44, ESEPAGE_PG_INDEX);
    r = node_rec(ESEPY_ESE_LRTYP_CREATESEFDP, cpg0 + 4, 500010, ESEREDO_DBTIME_NIL, 0, 2);
    r.pb = raw;
    r.cb = 48;
    r.objidFDP = 43;
    r.pgnoParent = 2;
    r.cpg = 3;
    r.fPageFlags = 0x04; /* unique */
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    memset(raw, 0, sizeof(raw));
    r = node_rec(ESEPY_ESE_LRTYP_CREATEMEFDP, cpg0 + 5, 500011, ESEREDO_DBTIME_NIL, 0, 2);
    r.pb = raw;
    r.cb = 56;
    r.objidFDP = 44;
    r.pgnoNew = cpg0 + 6;
    r.pgnoRight = cpg0 + 7;
    r.pgnoParent = 2;
    r.cpg = 4;
    r.fPageFlags = 0;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);

    /* EmptyTree: root P2 (a parent page) loses line 0, listed page P3 is emptied */
    {
        uint32_t P2 = 0, P3 = 0;
        for (uint32_t pgno = 2; pgno < cpg0 && (P2 == 0 || P3 == 0); pgno++) {
            int fBlank = 0;
            if (pgno == P || eseredo_page_get(pr, pgno, &pp, &fBlank) < 0)
                continue;
            if (!fBlank && pp->cline >= 2 && pp->ctagReserved == 1 && pp->rgreserved[0].cbData > 0) {
                if (P2 == 0 && (pp->fFlags & ESEPAGE_PG_PARENT))
                    P2 = pgno;
                else if (P3 == 0 && (pp->fFlags & ESEPAGE_PG_LEAF) && !(pp->fFlags & ESEPAGE_PG_ROOT))
                    P3 = pgno;
            }
            eseredo_page_release(pr, pp, 0);
        }
        CHECK(P2 != 0 && P3 != 0);
        uint64_t d2, d3;
        uint32_t c2;
        CHECK_ERR(eseredo_page_get(pr, P2, &pp, NULL), JET_errSuccess);
        d2 = pp->dbtime;
        c2 = pp->cline;
        eseredo_page_release(pr, pp, 0);
        CHECK_ERR(eseredo_page_get(pr, P3, &pp, NULL), JET_errSuccess);
        d3 = pp->dbtime;
        eseredo_page_release(pr, pp, 0);
        uint8_t et[46 + 16];
        memset(et, 0, sizeof(et));
        le_put64(et + 46, d3);
        le_put32(et + 46 + 8, P3);
        r = node_rec(ESEPY_ESE_LRTYP_EMPTYTREE, P2, 600000, d2, 0, 2);
        r.pb = et;
        r.cb = sizeof(et);
        CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
        CHECK_ERR(eseredo_page_get(pr, P2, &pp, NULL), JET_errSuccess);
        CHECK(pp->cline == c2 - 1 && pp->dbtime == 600000 && (pp->fFlags & ESEPAGE_PG_LEAF) &&
              !(pp->fFlags & ESEPAGE_PG_PARENT));
        eseredo_page_release(pr, pp, 0);
        CHECK_ERR(eseredo_page_get(pr, P3, &pp, NULL), JET_errSuccess);
        CHECK(pp->cline == 0 && pp->rgreserved[0].cbData == 0 && pp->dbtime == 600000);
        eseredo_page_release(pr, pp, 0);
        /* again: both pages already have it */
        CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    }

    /* more pages than the cache holds: changed frames go to the copy and come back from it */
    for (uint32_t pg = 1; pg <= 80; pg++) {
        int fBlank = 0;
        if (eseredo_page_get(pr, pg, &pp, &fBlank) >= 0)
            eseredo_page_release(pr, pp, 0);
    }
    CHECK_ERR(eseredo_page_get(pr, P, &pp, NULL), JET_errSuccess);
    CHECK(pp->cline == cline0 + 2 && pp->dbtime == D + 9);
    eseredo_page_release(pr, pp, 0);
    CHECK_ERR(eseredo_flush(pr), JET_errSuccess);
    uint8_t *hdr = malloc(4096);
    CHECK_ERR(EsepyEseReadPage(pf, 1, hdr, 4096), JET_errSuccess); /* any page will do as the header here */
    CHECK_ERR(eseredo_finish(pr, hdr), JET_errSuccess);
    free(hdr);
    eseredo_close(pr);
    esepage_free(&orig);
    EsepyEseClose(pf);

    /* the copy as the reader sees it */
    FILE *f = fopen(tmp, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    CHECK((uint32_t)ftell(f) == (cpg0 + 8 + 2) * 4096u);
    uint8_t *pg = malloc(4096);
    ESEPY_ESE_FILE file;
    memset(&file, 0, sizeof(file));
    file.cbPage = 4096;
    file.fSmall = 1;
    file.cbPageHeader = 40;
    for (uint32_t pgno = 1; pgno < cpg0 + 8; pgno++) {
        fseek(f, (long)(pgno + 1) * 4096, SEEK_SET);
        CHECK(fread(pg, 1, 4096, f) == 4096);
        ESEPY_ESE_PAGEINFO pi;
        memset(&pi, 0, sizeof(pi));
        esefmt_page_verify(&file, pg, pgno, &pi);
        CHECK(pi.status == ESEPY_ESE_PAGE_OK || pi.status == ESEPY_ESE_PAGE_BLANK);
        esefmt_page page;
        esefmt_page_init(&file, pg, pgno, &page);
        esefmt_node n;
        esefmt_line l;
        if (pgno == N) {
            CHECK(page.ctag == 2 && page.objidFDP == 42 && le_get64(pg + 8) == 500002);
            CHECK_ERR(esefmt_page_node(&page, 1, &n), JET_errSuccess);
            CHECK(n.cbPrefix == 3 && n.cbSuffix == 3 && memcmp(n.pbSuffix, "fix", 3) == 0 &&
                  n.fFlags == ESEFMT_ND_COMPRESSED);
        } else if (pgno == cpg0 + 4) {
            CHECK(page.ctag == 1 && page.objidFDP == 43 &&
                  (page.fFlags & 0xFFFFu) == (ESEPAGE_PG_ROOT | ESEPAGE_PG_LEAF | ESEPAGE_PG_INDEX |
                                              ESEPAGE_PG_NEWRECORD | ESEPAGE_PG_NEWCHK));
            CHECK_ERR(esefmt_page_line(&page, 0, &l), JET_errSuccess);
            CHECK(l.cb == 16 && le_get32(l.pb) == 3 && le_get32(l.pb + 4) == 2 && l.pb[8] == 0 &&
                  le_get32(l.pb + 12) == 3); /* unique, single extent; rgbitAvail: 2 pages after the root */
        } else if (pgno == cpg0 + 5) {
            CHECK_ERR(esefmt_page_line(&page, 0, &l), JET_errSuccess);
            CHECK(l.cb == 16 && l.pb[8] == 0x03 && le_get32(l.pb + 12) == cpg0 + 6); /* multiple, non-unique */
        } else if (pgno == cpg0 + 6 || pgno == cpg0 + 7) {
            CHECK((page.fFlags & ESEPAGE_PG_SPACE) && page.ctag == 2); /* split buffer + one extent */
            CHECK_ERR(esefmt_page_node(&page, 1, &n), JET_errSuccess);
            CHECK(n.cbSuffix == 4 && n.pbSuffix[3] == (uint8_t)(cpg0 + 5 + 3) && n.cbData == 4 &&
                  le_get32(n.pbData) == (pgno == cpg0 + 6 ? 4u : 1u));
        }
    }
    free(pg);
    fclose(f);
}

/* The extent node at line iline of a space-tree page model: key pgnoLast
 * big-endian, data the page count. */
static int extent_is(esepage *pp, uint32_t iline, uint32_t pgnoLast, uint32_t cpg)
{
    uint8_t k[8];
    uint32_t cb = 0;
    const uint8_t *pb;
    uint32_t cbData;
    if (iline >= pp->cline || esepage_key(pp, iline, k, sizeof(k), &cb) < 0 ||
        esepage_data(pp, iline, &pb, &cbData) < 0)
        return 0;
    return cb == 4 && k[0] == (uint8_t)(pgnoLast >> 24) && k[1] == (uint8_t)(pgnoLast >> 16) &&
           k[2] == (uint8_t)(pgnoLast >> 8) && k[3] == (uint8_t)pgnoLast && cbData == 4 && le_get32(pb) == cpg;
}

static ESEPY_ESE_LOGRECORD convert_rec(uint8_t *raw, uint32_t R, uint64_t dbtime, uint64_t before, uint32_t cpgPrimary,
                                       uint32_t cpgSecondary, uint32_t rgbitAvail)
{
    ESEPY_ESE_LOGRECORD r = node_rec(ESEPY_ESE_LRTYP_CONVERTFDP2, R, dbtime, before, 0, 2);
    memset(raw, 0, 68);
    le_put32(raw + 48, R + cpgPrimary); /* pgnoSecondaryFirst = pgnoOE */
    le_put32(raw + 56, cpgSecondary);
    le_put32(raw + 60, rgbitAvail);
    le_put32(raw + 64, ESEPAGE_PG_INDEX);
    r.pb = raw;
    r.cb = 68;
    r.objidFDP = 45;
    r.pgnoNew = R + cpgPrimary;
    r.pgnoRight = R + cpgPrimary + 1;
    r.pgnoParent = 2;
    r.cpg = cpgPrimary;
    r.fPageFlags = 0x04; /* unique */
    return r;
}

/* ConvertFDP2 over a single-extent root made by CreateSingleExtentFDP: the
 * root's space header turns multiple-extent, OE/AE roots hold the extents. */
TEST(redo_convert_fdp)
{
    char path[1024], tmp[1024];
    const char *dir = sample_dir();
    CHECK(dir != NULL);
    snprintf(path, sizeof(path), "%s/srum_win11_dirty/SRUDB.dat", dir);
    snprintf(tmp, sizeof(tmp), "%s/convert.tmp", unit_dir("esepage_convert"));
    ESEPY_ESE_FILE *pf = NULL;
    CHECK_ERR(EsepyEseOpen(path, 0, &pf), JET_errSuccess);
    ESEPY_ESE_RECOVERINFO info;
    memset(&info, 0, sizeof(info));
    eseredo *pr = NULL;
    CHECK_ERR(eseredo_open(pf, path, tmp, 3, &info, &pr), JET_errSuccess);
    const uint32_t cpg0 = pf->cpg, R = cpg0 + 1;
    ESEPY_ESE_LOGRECORD r = node_rec(ESEPY_ESE_LRTYP_EXTENDDB, 0, 0, 0, 0, 2);
    CHECK_ERR(eseredo_extend(pr, &r, cpg0 + 100), JET_errSuccess);
    uint8_t raw[68];
    memset(raw, 0, sizeof(raw));
    le_put32(raw + 44, ESEPAGE_PG_INDEX);
    r = node_rec(ESEPY_ESE_LRTYP_CREATESEFDP, R, 700000, ESEREDO_DBTIME_NIL, 0, 2);
    r.pb = raw;
    r.cb = 48;
    r.objidFDP = 45;
    r.pgnoParent = 2;
    r.cpg = 36;
    r.fPageFlags = 0x04;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    /* a node on the root survives the conversion */
    r = node_rec(ESEPY_ESE_LRTYP_INSERT, R, 700001, 700000, 0, 2);
    r.pbKey = (const uint8_t *)"k";
    r.cbKey = 1;
    r.pbData = (const uint8_t *)"v";
    r.cbData = 1;
    r.fPageFlags = 0;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    /* pages R+1..R+3 free (bits 0-2), R+32 free (bit 31) next to R+33..R+35
     * past the bitmap: AE gets {R+3: 3} and {R+35: 4}, plus the secondary
     * extent R+36..R+43 less the OE and AE roots */
    const uint32_t rgbit = 0x80000007u;
    r = convert_rec(raw, R, 700002, 700001, 36, 8, rgbit);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    esepage *pp = NULL;
    CHECK_ERR(eseredo_page_get(pr, R, &pp, NULL), JET_errSuccess);
    CHECK(pp->dbtime == 700002 && pp->cline == 1 && line_is(pp, 0, 0, "v") && pp->rgreserved[0].cbData == 16);
    const uint8_t *sph = pp->rgreserved[0].pb;
    CHECK(le_get32(sph) == 36 && le_get32(sph + 4) == 2 && sph[8] == 0x01 && le_get32(sph + 12) == R + 36);
    eseredo_page_release(pr, pp, 0);
    CHECK_ERR(eseredo_page_get(pr, R + 36, &pp, NULL), JET_errSuccess); /* OE */
    CHECK(pp->dbtime == 700002 && pp->objidFDP == 45 && (pp->fFlags & ESEPAGE_PG_SPACE) &&
          (pp->fFlags & ESEPAGE_PG_ROOT) && (pp->fFlags & ESEPAGE_PG_INDEX) && pp->cline == 2 &&
          pp->rgreserved[0].cbData == 16);
    CHECK(extent_is(pp, 0, R + 35, 36) && extent_is(pp, 1, R + 43, 8));
    eseredo_page_release(pr, pp, 0);
    CHECK_ERR(eseredo_page_get(pr, R + 37, &pp, NULL), JET_errSuccess); /* AE */
    CHECK(pp->dbtime == 700002 && (pp->fFlags & ESEPAGE_PG_SPACE) && pp->cline == 3);
    CHECK(extent_is(pp, 0, R + 3, 3) && extent_is(pp, 1, R + 35, 4) && extent_is(pp, 2, R + 43, 6));
    esepage ae;
    memset(&ae, 0, sizeof(ae));
    CHECK_ERR(esepage_copy(&ae, pp), JET_errSuccess);
    eseredo_page_release(pr, pp, 0);
    /* again: every page already has it, nothing changes */
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    CHECK_ERR(eseredo_page_get(pr, R + 37, &pp, NULL), JET_errSuccess);
    CHECK(esepage_compare(pp, &ae, NULL) == 0);
    eseredo_page_release(pr, pp, 0);
    esepage_free(&ae);
    /* a small primary extent: only the bitmap's pages; a two-page secondary
     * extent leaves the AE no secondary pages */
    const uint32_t R2 = cpg0 + 50;
    memset(raw, 0, sizeof(raw));
    r = node_rec(ESEPY_ESE_LRTYP_CREATESEFDP, R2, 700010, ESEREDO_DBTIME_NIL, 0, 2);
    r.pb = raw;
    r.cb = 48;
    r.objidFDP = 46;
    r.pgnoParent = 2;
    r.cpg = 8;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    r = convert_rec(raw, R2, 700011, 700010, 8, 2, 0x5Cu); /* R2+3..R2+5, R2+7 */
    r.fPageFlags = 0; /* non-unique */
    CHECK_ERR(eseredo_apply(pr, &r), JET_errSuccess);
    CHECK_ERR(eseredo_page_get(pr, R2, &pp, NULL), JET_errSuccess);
    CHECK(pp->rgreserved[0].pb[8] == 0x03 && le_get32(pp->rgreserved[0].pb + 12) == R2 + 8);
    eseredo_page_release(pr, pp, 0);
    CHECK_ERR(eseredo_page_get(pr, R2 + 9, &pp, NULL), JET_errSuccess);
    CHECK(pp->cline == 2 && extent_is(pp, 0, R2 + 5, 3) && extent_is(pp, 1, R2 + 7, 1));
    eseredo_page_release(pr, pp, 0);
    /* the dbtime rule on the root: a root newer than the record's before-time
     * but older than its time is refused; a damaged record is refused by name */
    r = convert_rec(raw, R2, 700020, 700005, 8, 2, 0x5Cu);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errDbTimeTooNew);
    r = convert_rec(raw, R2, 700020, 700011, 8, 1, 0x5Cu);
    CHECK_ERR(eseredo_apply(pr, &r), JET_errLogCorrupted);
    CHECK(strstr(info.szRecordType, "ConvertFDP2") != NULL);
    r.cb = 60;
    CHECK_ERR(eseredo_apply(pr, &r), JET_errLogCorrupted);
    eseredo_close(pr);
    EsepyEseClose(pf);
}

/* A Merge2 of a type recovery does not replay (EmptyTree) inside a macro: accepted
 * when its pages already have it, refused by name when one lacks it. */
static void merge_macro(eseredo_buf *pbuf, uint8_t *raw, uint32_t P, uint64_t dbtime, uint64_t before)
{
    memset(raw, 0, 96);
    raw[0] = ESEPY_ESE_LRTYP_MERGE2;
    raw[3] = 1;
    le_put32(raw + 4, P);
    le_put64(raw + 8, dbtime);
    le_put64(raw + 16, before);
    raw[85] = 4; /* EmptyTree */
    ESEPY_ESE_LOGRECORD r = node_rec(ESEPY_ESE_LRTYP_MERGE2, P, dbtime, before, 0, 2);
    r.pb = raw;
    r.cb = 96;
    memset(pbuf, 0, sizeof(*pbuf));
    CHECK_ERR(eseredo_buf_add(pbuf, &r), JET_errSuccess);
}

TEST(unreplayed_merge_type_accepted_when_its_page_has_it)
{
    char path[1024], tmp[1024];
    const char *dir = sample_dir();
    CHECK(dir != NULL);
    snprintf(path, sizeof(path), "%s/srum_win11_dirty/SRUDB.dat", dir);
    snprintf(tmp, sizeof(tmp), "%s/merge.tmp", unit_dir("esepage_merge"));
    ESEPY_ESE_FILE *pf = NULL;
    CHECK_ERR(EsepyEseOpen(path, 0, &pf), JET_errSuccess);
    ESEPY_ESE_RECOVERINFO info;
    memset(&info, 0, sizeof(info));
    eseredo *pr = NULL;
    CHECK_ERR(eseredo_open(pf, path, tmp, 3, &info, &pr), JET_errSuccess);
    const uint32_t P = 377;
    esepage *pp = NULL;
    CHECK_ERR(eseredo_page_get(pr, P, &pp, NULL), JET_errSuccess);
    const uint64_t D = pp->dbtime;
    eseredo_page_release(pr, pp, 0);
    uint8_t raw[96];
    eseredo_buf buf;
    merge_macro(&buf, raw, P, D, D - 1); /* the page carries it */
    CHECK_ERR(eseredo_apply_macro(pr, &buf, D), JET_errSuccess);
    eseredo_buf_free(&buf);
    merge_macro(&buf, raw, P, D + 10, D); /* the page lacks it */
    CHECK_ERR(eseredo_apply_macro(pr, &buf, D + 10), JET_errFeatureNotAvailable);
    CHECK(strstr(info.szReason, "EmptyTree") != NULL && strstr(info.szReason, "lacks") != NULL &&
          strcmp(info.szRecordType, "Merge2") == 0 && info.pgno == P);
    eseredo_buf_free(&buf);
    eseredo_close(pr);
    EsepyEseClose(pf);
}

UNIT_MAIN()
