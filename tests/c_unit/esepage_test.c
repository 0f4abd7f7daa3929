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

UNIT_MAIN()
