/* Unit tests of the forensic ESE reader (csrc/esefmt): the XPRESS and 7-bit
 * decompressors with their bounds checks, the page checksums, and a fuzz of
 * the whole read path over mutated copies of a real sample (under ASan/UBSan:
 * any out-of-bounds access fails the run). */
#include "unit.h"
#include "esefmt_int.h"

#include <stdint.h>

/* The folder of the real samples, decompressed: tests/c_unit/test_c_unit.py
 * prepares it from tests/data/ese and passes it as ESEPY_SAMPLES.  Without it
 * the tests that need samples fail: missing test data is never a pass. */
static const char *sample_dir(void)
{
    const char *sz = getenv("ESEPY_SAMPLES");
    if (sz == NULL || sz[0] == '\0') {
        fprintf(stderr, "ESEPY_SAMPLES is not set: it must name the decompressed samples of tests/data/ese\n");
        return NULL;
    }
    return sz;
}

static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

TEST(xpress_spec_example)
{
    /* [MS-XCA] plain LZ77 example: "abc" repeated 100 times */
    static const uint8_t in[] = { 0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01 };
    uint8_t out[300];
    CHECK_ERR(esefmt_xpress_decompress(in, sizeof(in), out, sizeof(out)), JET_errSuccess);
    for (int i = 0; i < 300; i++)
        CHECK(out[i] == "abc"[i % 3]);
    /* every truncation of the input fails cleanly */
    for (size_t cb = 0; cb < sizeof(in); cb++)
        CHECK_ERR(esefmt_xpress_decompress(in, cb, out, sizeof(out)), JET_errDecompressionFailed);
    /* asking for more output than encoded fails; less succeeds */
    uint8_t big[400];
    CHECK_ERR(esefmt_xpress_decompress(in, sizeof(in), big, sizeof(big)), JET_errDecompressionFailed);
    CHECK_ERR(esefmt_xpress_decompress(in, sizeof(in), out, 10), JET_errDecompressionFailed);
}

TEST(xpress_rejects_back_references_before_start)
{
    /* flags: first item is a match with offset 1 at output position 0 */
    static const uint8_t in[] = { 0x00, 0x00, 0x00, 0x80, 0x00, 0x00 };
    uint8_t out[16];
    CHECK_ERR(esefmt_xpress_decompress(in, sizeof(in), out, sizeof(out)), JET_errDecompressionFailed);
}

TEST(xpress_random_input_stays_in_bounds)
{
    uint32_t s = 1;
    uint8_t in[64], out[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t cb = rnd(&s) % sizeof(in);
        for (size_t i = 0; i < cb; i++)
            in[i] = (uint8_t)rnd(&s);
        size_t cbOut = rnd(&s) % sizeof(out);
        JET_ERR err = esefmt_xpress_decompress(in, cb, out, cbOut);
        CHECK(err == JET_errSuccess || err == JET_errDecompressionFailed);
    }
}

/* Pack ASCII text the way 7-bit compression stores it. */
static uint32_t pack7(const char *sz, uint8_t *pb)
{
    uint32_t n = (uint32_t)strlen(sz), ibit = 0;
    memset(pb, 0, 1 + (n * 7 + 7) / 8 + 1);
    for (uint32_t i = 0; i < n; i++, ibit += 7)
        for (int b = 0; b < 7; b++)
            if (sz[i] & (1 << b))
                pb[1 + (ibit + b) / 8] |= (uint8_t)(1u << ((ibit + b) % 8));
    uint32_t cbData = (ibit + 7) / 8;
    uint32_t bitsLast = ibit - (cbData - 1) * 8; /* 1..8 */
    pb[0] = (uint8_t)((1u << 3) | (bitsLast - 1));
    return 1 + cbData;
}

TEST(seven_bit_ascii_and_unicode)
{
    uint8_t packed[64], out[128];
    uint32_t cb = pack7("Record          7", packed);
    uint32_t cbOut = 0, scheme = 0;
    CHECK_ERR(esefmt_decompressed_size(packed, cb, &cbOut, &scheme), JET_errSuccess);
    CHECK(scheme == 1 && cbOut == 17);
    CHECK_ERR(esefmt_decompress(packed, cb, out, cbOut), JET_errSuccess);
    CHECK(memcmp(out, "Record          7", 17) == 0);
    packed[0] = (uint8_t)((2u << 3) | (packed[0] & 7u)); /* the same bits as 7-bit Unicode */
    CHECK_ERR(esefmt_decompressed_size(packed, cb, &cbOut, &scheme), JET_errSuccess);
    CHECK(scheme == 2 && cbOut == 34);
    CHECK_ERR(esefmt_decompress(packed, cb, out, cbOut), JET_errSuccess);
    CHECK(out[0] == 'R' && out[1] == 0 && out[32] == '7' && out[33] == 0);
    /* a buffer of the wrong size is refused, tiny inputs are damaged */
    CHECK_ERR(esefmt_decompress(packed, cb, out, cbOut - 1), JET_errInvalidParameter);
    CHECK_ERR(esefmt_decompressed_size(packed, 1, &cbOut, &scheme), JET_errDecompressionFailed);
}

TEST(unsupported_schemes_are_named)
{
    uint8_t in[8] = { 5u << 3, 0, 0, 0, 0, 0, 0, 0 };
    uint32_t cb, scheme = 0;
    CHECK_ERR(esefmt_decompressed_size(in, sizeof(in), &cb, &scheme), JET_errFeatureNotAvailable);
    CHECK(scheme == 5);
    in[0] = 6u << 3;
    CHECK_ERR(esefmt_decompressed_size(in, sizeof(in), &cb, &scheme), JET_errFeatureNotAvailable);
    CHECK(scheme == 6);
    in[0] = 30u << 3;
    CHECK_ERR(esefmt_decompressed_size(in, sizeof(in), &cb, &scheme), JET_errDecompressionFailed);
}

TEST(checksums_of_real_pages)
{
    char path[1024];
    const char *dir = sample_dir();
    CHECK(dir != NULL);
    if (dir == NULL)
        return;
    snprintf(path, sizeof(path), "%s/srum_win11_dirty/SRUDB.dat", dir);
    ESEPY_ESE_FILE *pf = NULL;
    JET_ERR errOpen = EsepyEseOpen(path, 0, &pf);
    if (errOpen < 0)
        fprintf(stderr, "cannot open sample %s (error %d)\n", path, (int)errOpen);
    CHECK(errOpen >= 0);
    if (errOpen < 0)
        return;
    uint8_t *pb = os_malloc(4096);
    CHECK(pb != NULL);
    /* page 4 (the catalog root) carries an ECC checksum */
    CHECK_ERR(EsepyEseReadPage(pf, 4, pb, 4096), JET_errSuccess);
    CHECK(esefmt_checksum_ecc(pb, 4096, 4, 1) == le_get64(pb));
    CHECK(esefmt_checksum_ecc(pb, 4096, 5, 1) != le_get64(pb)); /* the page number is part of it */
    pb[1000] ^= 1;
    CHECK(esefmt_checksum_ecc(pb, 4096, 4, 1) != le_get64(pb));
    ESEPY_ESE_PAGEINFO info;
    CHECK_ERR(EsepyEseGetPageInfo(pf, 4, &info), JET_errSuccess);
    CHECK(info.status == ESEPY_ESE_PAGE_OK && info.fNewChecksumFormat);
    CHECK_ERR(EsepyEseGetPageInfo(pf, 100000, &info), JET_errFileIOBeyondEOF);
    os_free(pb);
    EsepyEseClose(pf);
}

/* Read everything a file offers through the public API. */
static void read_all(const char *path)
{
    ESEPY_ESE_FILE *pf = NULL;
    if (EsepyEseOpen(path, 0, &pf) < 0)
        return;
    uint32_t ctable = 0;
    static uint8_t buf[1 << 16];
    if (EsepyEseGetTableCount(pf, &ctable) >= 0) {
        for (uint32_t it = 0; it < ctable; it++) {
            ESEPY_ESE_TABLEINFO ti;
            if (EsepyEseGetTableInfo(pf, it, &ti) < 0)
                continue;
            ESEPY_ESE_CURSOR *pc = NULL;
            if (EsepyEseCursorOpen(pf, it, ESEPY_ESE_CURSOR_DELETED, &pc) < 0)
                continue;
            for (int n = 0; n < 100000 && EsepyEseCursorNext(pc) >= 0; n++) {
                for (uint32_t ic = 0; ic < ti.ccolumn; ic++) {
                    uint32_t cv = 0;
                    if (EsepyEseCursorValueCount(pc, ic, &cv) < 0)
                        continue;
                    for (uint32_t iv = 1; iv <= cv + 1; iv++) {
                        uint32_t cb = 0, info = 0;
                        (void)EsepyEseCursorRetrieve(pc, ic, iv, 0, buf, sizeof(buf), &cb, &info);
                        (void)EsepyEseCursorRetrieve(pc, ic, iv, ESEPY_ESE_RETRIEVE_RAW, buf, 7, &cb, &info);
                    }
                }
                ESEPY_ESE_RECORDINFO ri;
                if (EsepyEseCursorGetRecordInfo(pc, &ri) >= 0)
                    for (uint32_t i = 0; i < ri.ctagged; i++) {
                        uint32_t cid, fl, cb;
                        const uint8_t *p;
                        if (EsepyEseCursorGetTagged(pc, i, &cid, &fl, &p, &cb) >= 0 && cb)
                            buf[0] = p[cb - 1];
                    }
            }
            EsepyEseCursorClose(pc);
        }
    }
    ESEPY_ESE_HEADER h;
    EsepyEseGetHeader(pf, &h);
    for (uint32_t pg = 1; pg <= h.cpgData && pg < 4000; pg++) {
        ESEPY_ESE_PAGEINFO info;
        uint32_t fl, cb;
        (void)EsepyEseGetPageInfo(pf, pg, &info);
        for (uint32_t itag = 0; itag < 8; itag++)
            (void)EsepyEseGetPageTag(pf, pg, itag, &fl, buf, sizeof(buf), &cb);
    }
    EsepyEseClose(pf);
}

static void fuzz_file(const char *name, uint32_t cbPage, int count)
{
    char src[1024], dst[1024];
    const char *dir = sample_dir();
    CHECK(dir != NULL);
    if (dir == NULL)
        return;
    snprintf(src, sizeof(src), "%s/%s", dir, name);
    FILE *f = fopen(src, "rb");
    if (f == NULL)
        fprintf(stderr, "cannot open sample %s\n", src);
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fseek(f, 0, SEEK_END);
    long cb = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *orig = malloc((size_t)cb), *mut = malloc((size_t)cb);
    if (orig == NULL || mut == NULL || fread(orig, 1, (size_t)cb, f) != (size_t)cb) {
        fclose(f);
        free(orig);
        free(mut);
        return;
    }
    fclose(f);
    snprintf(dst, sizeof(dst), "%s/fuzz.edb", unit_dir("esefmt_fuzz"));
    uint32_t s = 12345;
    uint32_t cpg = (uint32_t)(cb / cbPage);
    for (int iter = 0; iter < count; iter++) {
        memcpy(mut, orig, (size_t)cb);
        long cbOut = cb;
        switch (iter % 4) {
        case 0: /* bit flips in used pages, checksums bypassed below */
            for (int k = 0; k < 32; k++)
                mut[rnd(&s) % (uint32_t)cb] ^= (uint8_t)(1u << (rnd(&s) % 8));
            break;
        case 1: { /* page header and tag array scribbles */
            uint32_t pg = 2 + rnd(&s) % (cpg - 2);
            for (int k = 0; k < 12; k++) {
                mut[(size_t)pg * cbPage + rnd(&s) % 80] = (uint8_t)rnd(&s);
                mut[(size_t)pg * cbPage + cbPage - 1 - rnd(&s) % 64] = (uint8_t)rnd(&s);
            }
            break;
        }
        case 2: /* truncation */
            cbOut = (long)(rnd(&s) % (uint32_t)cb);
            break;
        default: { /* record bytes: scribble inside the data area of a page */
            uint32_t pg = 2 + rnd(&s) % (cpg - 2);
            for (int k = 0; k < 24; k++)
                mut[(size_t)pg * cbPage + 80 + rnd(&s) % (cbPage - 160)] = (uint8_t)rnd(&s);
            break;
        }
        }
        FILE *o = fopen(dst, "wb");
        CHECK(o != NULL);
        fwrite(mut, 1, (size_t)cbOut, o);
        fclose(o);
        read_all(dst); /* must not crash, hang or leak */
        ESEPY_ESE_FILE *pf = NULL;
        if (EsepyEseOpen(dst, ESEPY_ESE_OPEN_SKIP_CHECKSUMS, &pf) >= 0)
            EsepyEseClose(pf);
    }
    free(orig);
    free(mut);
}

TEST(fuzz_8k_sample)
{
    fuzz_file("stroz_decompress_lzxpress_8k.edb", 8192, 60);
}

TEST(fuzz_16k_sample)
{
    fuzz_file("qmgr_win11_24h2_16k.db", 16384, 60);
}

TEST(fuzz_4k_dirty_sample)
{
    fuzz_file("srum_win11_dirty/SRUDB.dat", 4096, 40);
}

TEST(log_headers_of_garbage)
{
    const char *dir = unit_dir("esefmt_logs");
    char path[1200];
    snprintf(path, sizeof(path), "%s/x.log", dir);
    uint8_t junk[5000];
    uint32_t s = 7;
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)rnd(&s);
    /* attach-list area full of plausible entries with huge name lengths */
    for (size_t i = 671; i + 64 < 2719; i += 64) {
        junk[i] = 1;
        junk[i + 2] = 0xFF;
        junk[i + 3] = 0xFF;
    }
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    fwrite(junk, 1, sizeof(junk), f);
    fclose(f);
    ESEPY_ESE_LOGHEADER *h = os_malloc(sizeof(*h));
    ESEPY_ESE_CHECKPOINT *c = os_malloc(sizeof(*c));
    CHECK(h && c);
    JET_ERR err = EsepyEseReadLogHeader(path, h);
    CHECK(err == JET_errFileInvalidType || err == JET_errLogFileCorrupt);
    err = EsepyEseReadCheckpoint(path, c);
    CHECK(err == JET_errFileInvalidType || err == JET_errCheckpointCorrupt);
    ESEPY_ESE_LOGFILEINFO rg[4];
    uint32_t cfile = 0;
    CHECK_ERR(EsepyEseScanLogFolder(dir, "x", rg, 4, &cfile), JET_errSuccess);
    CHECK(cfile == 1 && rg[0].role == ESEPY_ESE_LOGROLE_CURRENT);
    os_free(h);
    os_free(c);
}

/* ---- the log record reader (eselog.c, eselogchain.c) --------------------------- */

/* A sample's bytes (malloc'ed), NULL when it cannot be read (callers CHECK). */
static uint8_t *read_sample(const char *name, size_t *pcb)
{
    char src[1024];
    const char *dir = sample_dir();
    *pcb = 0;
    if (dir == NULL)
        return NULL;
    snprintf(src, sizeof(src), "%s/%s", dir, name);
    FILE *f = fopen(src, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long cb = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *pb = malloc((size_t)cb);
    if (pb == NULL || fread(pb, 1, (size_t)cb, f) != (size_t)cb) {
        free(pb);
        pb = NULL;
    }
    fclose(f);
    *pcb = (size_t)cb;
    return pb;
}

/* Walk a log to its end; the count of records (-1 if one came without its
 * size or name), and the error that ended it. */
static int walk_log(const char *path, uint32_t grbit, JET_ERR *perr, ESEPY_ESE_LOGINFO *pinfo)
{
    ESEPY_ESE_LOG *plog = NULL;
    JET_ERR err = EsepyEseLogOpen(path, grbit, &plog);
    int c = 0, fBad = 0;
    if (err >= 0) {
        ESEPY_ESE_LOGRECORD r;
        while ((err = EsepyEseLogNextRecord(plog, &r)) >= 0) {
            fBad |= r.cb < 1 || r.szName == NULL;
            c++;
        }
        if (pinfo)
            EsepyEseLogGetInfo(plog, pinfo);
        EsepyEseLogClose(plog);
    }
    *perr = err;
    return fBad ? -1 : c;
}

TEST(log_records_of_srum)
{
    static const struct { const char *name; int c; } rg[] = {
        { "SRU00059.log", 688 }, { "SRU0005A.log", 584 }, { "SRU0005B.log", 466 }, { "SRU.log", 21 } };
    const char *dir = sample_dir();
    CHECK(dir != NULL);
    if (dir == NULL)
        return;
    char path[1200];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/srum_win11_dirty/%s", dir, rg[i].name);
        JET_ERR err;
        ESEPY_ESE_LOGINFO li;
        CHECK(walk_log(path, 0, &err, &li) == rg[i].c);
        CHECK_ERR(err, JET_errNoCurrentRecord);
        CHECK(li.errIntegrity == JET_errSuccess && li.csegCorrected == 0);
    }
    snprintf(path, sizeof(path), "%s/srum_win11_dirty", dir);
    ESEPY_ESE_LOGCHAIN *pc = NULL;
    CHECK_ERR(EsepyEseLogChainOpen(path, NULL, 0, NULL, 0, &pc), JET_errSuccess);
    ESEPY_ESE_LOGCHAININFO *pi = os_malloc(sizeof(*pi));
    CHECK(pi != NULL);
    if (pc && pi) {
        EsepyEseLogChainGetInfo(pc, pi);
        CHECK(pi->cgen == 4 && pi->ctransitions == 3 && pi->ctransitionsOk == 3);
        CHECK(pi->lgposRedoStart.lGeneration == 92 && pi->lgposRedoStart.isec == 1 && pi->fCheckpointFake);
        CHECK_ERR(EsepyEseLogChainSeek(pc, &pi->lgposRedoStart), JET_errSuccess);
        ESEPY_ESE_LOGRECORD r;
        int c = 0;
        JET_ERR err;
        while ((err = EsepyEseLogChainNextRecord(pc, &r)) >= 0)
            c++;
        CHECK(c == 21);
        CHECK_ERR(err, JET_errNoCurrentRecord);
    }
    os_free(pi);
    EsepyEseLogChainClose(pc);
}

static void write_file(const char *path, const uint8_t *pb, size_t cb)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(fwrite(pb, 1, cb, f) == cb);
    fclose(f);
}

/* A current log whose header claims generation 0x7FFFFFFF, after a checkpoint
 * at 92: the chain is one file and one gap (92..0x7FFFFFFE missing), read
 * without sizing anything by the range (found by fuzzing: ese_recover's
 * crash-chain-gen-7fffffff-oom asked for 10 GB). */
TEST(log_chain_generation_far_beyond_checkpoint)
{
    size_t cbLog = 0, cbChk = 0;
    uint8_t *pbLog = read_sample("srum_win11_dirty/SRU.log", &cbLog);
    uint8_t *pbChk = read_sample("srum_win11_dirty/SRU.chk", &cbChk);
    CHECK(pbLog != NULL && pbChk != NULL && cbLog == 16 * 4096);
    const char *dir = unit_dir("esefmt_chain_gen_max");
    char path[1200];
    if (pbLog != NULL && pbChk != NULL) {
        le_put32(pbLog + 4, 0x7FFFFFFFu);
        le_put32(pbLog, esefmt_checksum_xor(pbLog, 4096));
        snprintf(path, sizeof(path), "%s/SRU.log", dir);
        write_file(path, pbLog, cbLog);
        snprintf(path, sizeof(path), "%s/SRU.chk", dir);
        write_file(path, pbChk, cbChk);
        ESEPY_ESE_LOGCHAIN *pc = NULL;
        CHECK_ERR(EsepyEseLogChainOpen(dir, NULL, ESEPY_ESE_LOGCHAIN_GEN_CHECKPOINT, NULL, ESEPY_ESE_LOGCHAIN_INSPECT, &pc),
                  JET_errSuccess);
        ESEPY_ESE_LOGCHAININFO *pi = os_malloc(sizeof(*pi));
        CHECK(pi != NULL);
        if (pc != NULL && pi != NULL) {
            EsepyEseLogChainGetInfo(pc, pi);
            CHECK_ERR(pi->err, JET_errMissingLogFile);
            CHECK(pi->errCheckpoint >= 0 && pi->checkpoint.lgposCheckpoint.lGeneration > 0);
            CHECK(pi->lGenMissing == pi->checkpoint.lgposCheckpoint.lGeneration);
            CHECK(pi->lGenLast == 0x7FFFFFFF && pi->cgen == 1);
            ESEPY_ESE_LOGGEN gen;
            CHECK_ERR(EsepyEseLogChainGetGen(pc, 0, &gen), JET_errSuccess);
            CHECK(gen.lGeneration == 0x7FFFFFFF);
        }
        os_free(pi);
        EsepyEseLogChainClose(pc);
    }
    free(pbLog);
    free(pbChk);
}

static void stamp_segment(uint8_t *pb, size_t isec)
{
    uint64_t c = esefmt_checksum_ecc(pb + isec * 4096, 4096, (uint32_t)isec, 1);
    for (int i = 0; i < 8; i++)
        pb[isec * 4096 + (size_t)i] = (uint8_t)(c >> (8 * i));
}

TEST(log_single_bit_corrected)
{
    size_t cb = 0;
    uint8_t *pb = read_sample("srum_win11_dirty/SRU0005A.log", &cb);
    CHECK(pb != NULL && cb == 16 * 4096);
    if (pb == NULL)
        return;
    char path[1200];
    snprintf(path, sizeof(path), "%s/flip.log", unit_dir("esefmt_eselog"));
    pb[7 * 4096 + 1234] ^= 0x20;
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    fwrite(pb, 1, cb, f);
    fclose(f);
    free(pb);
    JET_ERR err;
    ESEPY_ESE_LOGINFO li;
    CHECK(walk_log(path, 0, &err, &li) == 584);
    CHECK(li.csegCorrected == 1 && li.errIntegrity == JET_errSuccess);
    ESEPY_ESE_LOG *plog = NULL;
    CHECK_ERR(EsepyEseLogOpen(path, 0, &plog), JET_errSuccess);
    ESEPY_ESE_LOGSEGMENT seg;
    CHECK_ERR(EsepyEseLogGetSegment(plog, 7, &seg), JET_errSuccess);
    CHECK(seg.status == ESEPY_ESE_SEG_CORRECTED && seg.ibitCorrected == 1234 * 8 + 5);
    EsepyEseLogClose(plog);
    CHECK(walk_log(path, ESEPY_ESE_LOG_OPEN_NO_CORRECTION, &err, &li) < 584);
    CHECK_ERR(err, JET_errLogFileCorrupt);
}

/* Mutated logs, with segment checksums re-stamped so that the record parser
 * meets the nonsense: every walk ends in an error or the end, in bounds. */
TEST(fuzz_log_records)
{
    static const char *const rgsz[] = { "srum_win11_dirty/SRU00059.log", "srum_win11_dirty/SRU.log" };
    char path[1200];
    snprintf(path, sizeof(path), "%s/fz.log", unit_dir("esefmt_eselog_fuzz"));
    uint32_t s = 4242;
    for (int iter = 0; iter < 240; iter++) {
        size_t cb = 0;
        uint8_t *pb = read_sample(rgsz[iter % 2], &cb);
        CHECK(pb != NULL && cb == 16 * 4096);
        if (pb == NULL)
            return;
        size_t isec = 1 + rnd(&s) % 14, j = isec * 4096 + 40 + rnd(&s) % 4040;
        switch (iter % 4) {
        case 0: /* a record type and huge lengths */
            pb[j] = (uint8_t)(rnd(&s) % 110);
            for (int k = 1; k < 16; k++)
                pb[j + (size_t)k] = (rnd(&s) & 1) ? 0xFF : (uint8_t)rnd(&s);
            stamp_segment(pb, isec);
            break;
        case 1: /* scribbles */
            for (int k = 0; k < 24; k++)
                pb[isec * 4096 + 40 + rnd(&s) % 4056] = (uint8_t)rnd(&s);
            stamp_segment(pb, isec);
            break;
        case 2: /* a broken fragment chain or segment header */
            pb[isec * 4096 + 8 + rnd(&s) % 40] = (uint8_t)rnd(&s);
            pb[isec * 4096 + 40] = (uint8_t)(rnd(&s) % 2 ? 77 : 76);
            stamp_segment(pb, isec);
            break;
        default: /* bit flips anywhere */
            for (int k = 0; k < 3; k++)
                pb[rnd(&s) % cb] ^= (uint8_t)(1u << (rnd(&s) % 8));
            break;
        }
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        fwrite(pb, 1, cb, f);
        fclose(f);
        free(pb);
        JET_ERR err;
        (void)walk_log(path, 0, &err, NULL);
        CHECK(err == JET_errNoCurrentRecord || err == JET_errLogCorrupted || err == JET_errLogFileCorrupt ||
              err == JET_errLogFileSizeMismatch || err == JET_errFileInvalidType || err == JET_errBadLogVersion);
    }
}

UNIT_MAIN()
