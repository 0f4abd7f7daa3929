/* Unit tests of the transaction log (csrc/log): names, headers, records, the
 * crc chain, rolls, crash states, group commit, circular logging, reserve logs,
 * the checkpoint file, survey, and a light fuzz of the reader. */
#include "unit.h"
#include "log_int.h"

#include <pthread.h>

#define KB 1024u
#define REC_TYPE 20

/* ---- helpers ------------------------------------------------------------------------ */

typedef struct tenv {
    char       dir[1024];
    log_config cfg;
} tenv;

static void tenv_init(tenv *e, const char *name, uint32_t cbFile)
{
    snprintf(e->dir, sizeof(e->dir), "%s", unit_dir(name));
    memset(&e->cfg, 0, sizeof(e->cfg));
    e->cfg.log_dir = e->dir;
    e->cfg.system_dir = e->dir;
    e->cfg.base = "edb";
    e->cfg.cbLogFile = cbFile;
    e->cfg.cbPage = 8192;
    e->cfg.legacy_names = JET_bitESE98FileNames | JET_bitEightDotThreeSoftCompat;
    e->cfg.circular = 0;
}

static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x12345678u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static uint8_t pay_byte(uint32_t id, uint32_t k)
{
    return (uint8_t)(id * 131u + k * 7u + (k >> 8));
}

/* Payload of record `id`: id, length, then pattern bytes. */
static uint32_t make_payload(uint32_t id, uint32_t cb, uint8_t *buf)
{
    if (cb < 8)
        cb = 8;
    le_put32(buf, id);
    le_put32(buf + 4, cb);
    for (uint32_t k = 8; k < cb; k++)
        buf[k] = pay_byte(id, k);
    return cb;
}

static int check_payload(const log_record *r, uint32_t *pid)
{
    if (r->cb < 8 || le_get32(r->pv + 4) != r->cb)
        return 0;
    uint32_t id = le_get32(r->pv);
    for (uint32_t k = 8; k < r->cb; k++)
        if (r->pv[k] != pay_byte(id, k))
            return 0;
    *pid = id;
    return 1;
}

static uint8_t g_pay[64 * 1024]; /* test-only scratch, single-threaded users */

static JET_ERR append_id(log_writer *plw, uint32_t id, uint32_t cb, lsn_t *plsn)
{
    uint32_t n = make_payload(id, cb, g_pay);
    log_part part = { g_pay, n };
    return log_append(plw, REC_TYPE, &part, 1, plsn);
}

static uint32_t rand_size(uint32_t *s)
{
    uint32_t r = rnd(s) % 100;
    if (r < 70)
        return rnd(s) % 200;
    if (r < 95)
        return 200 + rnd(s) % 2800;
    return 3000 + rnd(s) % 27000;
}

/* Read everything from lsnStart: client records must be ids 0,1,2,... from
 * `firstId` in order; returns how many, the final code, the other types. */
typedef struct readres {
    JET_ERR  err;
    uint32_t cclient;
    uint32_t cinit, cterm;
    int      fBadOrder; /* an id out of sequence or a bad payload */
    lsn_t    lsnLast, lsnEnd;
    uint32_t ccorrected; /* R6 */
} readres;

static readres read_all(const log_config *cfg, const char *dir, lsn_t lsnStart, int32_t genStop, uint32_t firstId)
{
    readres rr;
    memset(&rr, 0, sizeof(rr));
    log_reader *prd = NULL;
    rr.err = log_reader_open(cfg, dir, lsnStart, genStop, &prd);
    if (rr.err < 0)
        return rr;
    log_record rec;
    lsn_t prev = LSN_NIL;
    uint32_t guard = 0;
    while ((rr.err = log_reader_next(prd, &rec)) == JET_errSuccess) {
        if (++guard > 10000000) {
            rr.err = -99999; /* a hang */
            break;
        }
        if (rec.lsn <= prev || rec.lsnNext <= rec.lsn)
            rr.fBadOrder = 1;
        prev = rec.lsn;
        rr.lsnLast = rec.lsn;
        if (rec.type == LOG_REC_INIT)
            rr.cinit++;
        else if (rec.type == LOG_REC_TERM)
            rr.cterm++;
        else if (rec.type == REC_TYPE) {
            uint32_t id;
            if (!check_payload(&rec, &id) || id != firstId + rr.cclient)
                rr.fBadOrder = 1;
            rr.cclient++;
        } else {
            rr.fBadOrder = 1;
        }
    }
    rr.lsnEnd = log_reader_end(prd);
    lsn_t lsnCorrected;
    log_reader_corrected(prd, &rr.ccorrected, &lsnCorrected);
    log_reader_close(prd);
    return rr;
}

static int file_size(const char *path, uint64_t *pcb)
{
    os_file *pf = NULL;
    if (os_file_open(path, OS_FILE_READ, &pf) < 0)
        return 0;
    int ok = os_file_size(pf, pcb) >= 0;
    os_file_close(pf);
    return ok;
}

/* Whole-file load/store for corruption tests. */
static uint8_t *load_file(const char *path, size_t *pcb)
{
    os_file *pf = NULL;
    uint64_t cb = 0;
    if (os_file_open(path, OS_FILE_READ, &pf) < 0)
        return NULL;
    os_file_size(pf, &cb);
    uint8_t *p = os_malloc(cb ? cb : 1);
    if (p && os_file_read(pf, 0, p, cb, NULL) < 0) {
        os_free(p);
        p = NULL;
    }
    os_file_close(pf);
    *pcb = cb;
    return p;
}

static int store_file(const char *path, const uint8_t *p, size_t cb)
{
    os_file *pf = NULL;
    if (os_file_open(path, OS_FILE_TRUNCATE | OS_FILE_WRITE, &pf) < 0)
        return 0;
    int ok = os_file_write(pf, 0, p, cb) >= 0;
    os_file_close(pf);
    return ok;
}

static int patch_file(const char *path, uint64_t off, const void *p, size_t cb)
{
    os_file *pf = NULL;
    if (os_file_open(path, OS_FILE_WRITE, &pf) < 0)
        return 0;
    int ok = os_file_write(pf, off, p, cb) >= 0;
    os_file_close(pf);
    return ok;
}

static int truncate_file(const char *path, uint64_t cb)
{
    os_file *pf = NULL;
    if (os_file_open(path, OS_FILE_WRITE, &pf) < 0)
        return 0;
    int ok = os_file_truncate(pf, cb) >= 0;
    os_file_close(pf);
    return ok;
}

static int copy_file(const char *from, const char *to)
{
    size_t cb = 0;
    uint8_t *p = load_file(from, &cb);
    if (p == NULL)
        return 0;
    int ok = store_file(to, p, cb);
    os_free(p);
    return ok;
}

static void gen_path(const tenv *e, int32_t gen, char *out)
{
    if (log_path(&e->cfg, gen, out, OS_PATH_MAX) < 0)
        out[0] = '\0';
}

/* Write `n` records (ids from *pid), flushing every few, until the writer is
 * in generation >= genTarget (if genTarget > 0). */
static JET_ERR fill(log_writer *plw, uint32_t *pid, uint32_t n, int32_t genTarget, uint32_t *seed)
{
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; (n == 0 || i < n) && err >= 0; i++) {
        lsn_t lsn;
        if (genTarget > 0 && LSN_GEN(log_end_lsn(plw)) >= genTarget)
            break;
        err = append_id(plw, (*pid)++, rnd(seed) % 1500, &lsn);
        if (err >= 0 && rnd(seed) % 8 == 0)
            err = log_flush(plw, lsn);
    }
    return err;
}

/* ---- names --------------------------------------------------------------------------- */

TEST(names)
{
    log_config cfg = { "/L", "/S", "edb", 5120 * KB, 8192, JET_bitESE98FileNames | JET_bitEightDotThreeSoftCompat, 0 };
    char p[OS_PATH_MAX];
    CHECK_ERR(log_path(&cfg, 0xA, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edb0000A.log") == 0);
    CHECK_ERR(log_path(&cfg, 0xFFFFF, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edbFFFFF.log") == 0);
    CHECK_ERR(log_path(&cfg, 0x100000, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edb00100000.log") == 0);
    CHECK_ERR(log_path(&cfg, 0, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edb.log") == 0);
    CHECK_ERR(log_path(&cfg, -1, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edbtmp.log") == 0);
    CHECK_ERR(log_path(&cfg, -2, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edbres00001.jrs") == 0);
    CHECK_ERR(log_path(&cfg, -3, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edbres00002.jrs") == 0);
    CHECK_ERR(log_path(&cfg, -10, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/S/edb.chk") == 0);
    CHECK_ERR(log_path(&cfg, -4, p, sizeof p), JET_errInvalidParameter);
    CHECK_ERR(log_path(&cfg, 1, p, 8), JET_errInvalidPath);

    cfg.legacy_names = JET_bitESE98FileNames; /* 8 digits always */
    CHECK_ERR(log_path(&cfg, 0xA, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/edb0000000A.log") == 0);

    cfg.legacy_names = 0; /* .jtx / .jcp, 8 digits */
    cfg.base = "abc";
    CHECK_ERR(log_path(&cfg, 0x1B, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/abc0000001B.jtx") == 0);
    CHECK_ERR(log_path(&cfg, 0, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/abc.jtx") == 0);
    CHECK_ERR(log_path(&cfg, -1, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/abctmp.jtx") == 0);
    CHECK_ERR(log_path(&cfg, -2, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/abcres00001.jrs") == 0);
    CHECK_ERR(log_path(&cfg, -10, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/S/abc.jcp") == 0);

    cfg.legacy_names = JET_bitEightDotThreeSoftCompat; /* 5 digits, .jtx */
    CHECK_ERR(log_path(&cfg, 0x1B, p, sizeof p), JET_errSuccess);
    CHECK(strcmp(p, "/L/abc0001B.jtx") == 0);

    cfg.base = "toolong";
    CHECK_ERR(log_path(&cfg, 0, p, sizeof p), JET_errInvalidParameter);
    cfg.base = "edb";
    cfg.cbLogFile = 0; /* naming does not need the file size */
    CHECK_ERR(log_path(&cfg, 1, p, sizeof p), JET_errSuccess);
}

/* Only this stream's names count: other bases, other extensions, wrong digit
 * counts, lowercase hex and non-log files are ignored by the scan. */
TEST(scan_ignores_other_files)
{
    tenv e;
    tenv_init(&e, "log_scan_names", 64 * KB);
    const char *junk[] = { "edb0000g.log", "EDB00001.LOG", "edb1.log", "edb000001.log", "edb0000a.log",
                           "xyz00001.log", "edb00001.jtx", "edb00001.log.bak", "edbtmp.log", "edbres00001.jrs",
                           "edb.chk", "edb00000000.log", "edb.jtx", "edb" };
    char p[OS_PATH_MAX];
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", e.dir, junk[i]);
        CHECK(store_file(p, (const uint8_t *)"junk", 4));
    }
    log_dirscan scan;
    CHECK_ERR(log_scan_dir(&e.cfg, NULL, &scan), JET_errSuccess);
    CHECK(scan.cgens == 0 && !scan.fCurrent);
    log_scan_free(&scan);
    snprintf(p, sizeof p, "%s/edb0000A.log", e.dir);
    CHECK(store_file(p, (const uint8_t *)"junk", 4));
    snprintf(p, sizeof p, "%s/edb0000000A.log", e.dir);
    CHECK(store_file(p, (const uint8_t *)"junk", 4));
    snprintf(p, sizeof p, "%s/edb00100000.log", e.dir);
    CHECK(store_file(p, (const uint8_t *)"junk", 4));
    CHECK_ERR(log_scan_dir(&e.cfg, NULL, &scan), JET_errSuccess);
    CHECK(scan.cgens == 2 && scan.gens[0] == 0xA && scan.gens[1] == 0x100000 && !scan.fCurrent);
    CHECK(log_scan_has(&scan, 0xA) && !log_scan_has(&scan, 0xB));
    log_scan_free(&scan);
    /* Those two are not log files: the survey says so. */
    log_stream_info info;
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errMissingLogFile); /* 0xA .. 0x100000 is not contiguous */
    snprintf(p, sizeof p, "%s/edb00100000.log", e.dir);
    CHECK_ERR(os_unlink(p), JET_errSuccess);
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errLogFileCorrupt);
}

/* ---- a new stream -------------------------------------------------------------------------- */

TEST(new_stream)
{
    tenv e;
    tenv_init(&e, "log_new_stream", 64 * KB);
    log_attach att[2];
    memset(att, 0, sizeof att);
    att[0].dbid = 1;
    att[0].lsnAttach = LSN_MAKE(1, 1, 0);
    att[0].signDb.ulRandom = 77;
    snprintf(att[0].path, sizeof att[0].path, "/db/one.edb");
    att[1].dbid = 2;
    snprintf(att[1].path, sizeof att[1].path, "/db/two.edb");
    JET_SIGNATURE sign;
    log_writer *plw = NULL;
    CHECK_ERR(log_writer_open(&e.cfg, att, 2, &sign, &plw), JET_errSuccess);

    char p[OS_PATH_MAX];
    uint64_t cb = 0;
    for (int32_t g = 0; g >= -3; g--) { /* B.log, Btmp.log, two reserves: pre-allocated */
        gen_path(&e, g, p);
        CHECK(file_size(p, &cb) && cb == 64 * KB);
    }
    log_header h;
    gen_path(&e, 0, p);
    CHECK_ERR(log_read_header(p, &h), JET_errSuccess);
    CHECK(h.generation == 1 && h.cbFile == 64 * KB && h.cbPage == 8192 && h.flags == 0);
    CHECK(log_sign_equal(&h.signLog, &sign));
    JET_LOGTIME zero;
    memset(&zero, 0, sizeof zero);
    CHECK(log_time_equal(&h.tmPrevGen, &zero) && !log_time_equal(&h.tmCreate, &zero));
    CHECK(h.lsnCheckpoint == LSN_NIL && h.cattach == 2);
    CHECK(h.attach[0].dbid == 1 && h.attach[0].signDb.ulRandom == 77 && h.attach[0].lsnAttach == LSN_MAKE(1, 1, 0));
    CHECK(strcmp(h.attach[0].path, "/db/one.edb") == 0 && strcmp(h.attach[1].path, "/db/two.edb") == 0);

    /* INIT is the first record; nothing is durable yet. */
    CHECK(log_end_lsn(plw) == LSN_MAKE(1, 1, LOG_REC_HEADER));
    CHECK(log_durable_lsn(plw) == LSN_MAKE(1, 1, 0));
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    CHECK(log_durable_lsn(plw) >= LSN_MAKE(1, 1, LOG_REC_HEADER));
    CHECK(LSN_IB(log_durable_lsn(plw)) % LOG_BLOCK == 0); /* a flush ends on a block boundary */

    /* Argument checks. */
    lsn_t lsn;
    log_part part = { "x", 1 };
    CHECK_ERR(log_append(plw, LOG_REC_GENEND, &part, 1, &lsn), JET_errInvalidParameter);
    CHECK_ERR(log_append(plw, REC_TYPE, NULL, 1, &lsn), JET_errInvalidParameter);
    log_part big = { g_pay, 64 * KB - LOG_HEADER_SIZE - 2 * LOG_BLOCK - LOG_REC_HEADER + 1 };
    CHECK_ERR(log_append(plw, REC_TYPE, &big, 1, &lsn), JET_errLogBufferTooSmall);
    big.cb--; /* the largest record fits in an empty generation */
    CHECK_ERR(log_append(plw, REC_TYPE, &big, 1, &lsn), JET_errSuccess);
    CHECK(LSN_GEN(lsn) == 2 && lsn == LSN_MAKE(2, 1, 0));
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
    /* The largest record filled generation 2: TERM went to generation 3. */
    log_stream_info info;
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errSuccess);
    CHECK(info.genCurrent == 3 && info.genLow == 1 && info.genHigh == 2 && info.chkValid);
    CHECK(log_sign_equal(&info.signLog, &sign) && LSN_GEN(info.lsnCheckpoint) == 3);

    /* A second open of a cleanly closed stream starts a new generation, same signature. */
    JET_SIGNATURE sign2;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, &sign2, &plw), JET_errSuccess);
    CHECK(log_sign_equal(&sign, &sign2));
    CHECK(LSN_GEN(log_end_lsn(plw)) == 4);
    log_writer_abandon(plw);
    gen_path(&e, 0, p);
    CHECK_ERR(log_read_header(p, &h), JET_errSuccess);
    CHECK(h.generation == 4 && h.cattach == 0);
    log_header h2;
    gen_path(&e, 3, p);
    CHECK_ERR(log_read_header(p, &h2), JET_errSuccess);
    CHECK(log_time_equal(&h.tmPrevGen, &h2.tmCreate));
    CHECK(h.lsnCheckpoint != LSN_NIL); /* the clean shutdown wrote a checkpoint */
}

/* ---- round trip over many generations -------------------------------------------------------- */

TEST(roundtrip_many_rolls)
{
    tenv e;
    tenv_init(&e, "log_roundtrip", 64 * KB);
    log_writer *plw = NULL;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    enum { N = 3000 };
    static lsn_t lsns[N];
    uint32_t seed = 42;
    lsn_t prev = LSN_NIL;
    for (uint32_t i = 0; i < N; i++) {
        CHECK_ERR(append_id(plw, i, rand_size(&seed), &lsns[i]), JET_errSuccess);
        CHECK(lsns[i] > prev);
        prev = lsns[i];
        JET_LGPOS pos = lsn_to_lgpos(lsns[i]);
        CHECK(pos.lGeneration == LSN_GEN(lsns[i]) && pos.isec == LSN_ISEC(lsns[i]) && pos.ib == LSN_IB(lsns[i]));
        CHECK(lgpos_to_lsn(&pos) == lsns[i] && pos.isec >= 1);
        CHECK(LOG_BLOCK - (log_off_of(lsns[i]) % LOG_BLOCK) >= LOG_REC_HEADER); /* block rule */
        if (rnd(&seed) % 16 == 0) {
            CHECK_ERR(log_flush(plw, lsns[i]), JET_errSuccess);
            CHECK(log_durable_lsn(plw) > lsns[i]);
        }
        if (i == N / 2) {
            int32_t g = 0;
            CHECK_ERR(log_roll(plw, &g), JET_errSuccess);
            CHECK(g == LSN_GEN(lsns[i]) + 1 && log_end_lsn(plw) == LSN_MAKE(g, 1, 0));
        }
    }
    int32_t genLast = LSN_GEN(lsns[N - 1]);
    CHECK(genLast > 20);
    log_writer_stats st;
    log_writer_get_stats(plw, &st);
    CHECK(st.cwriteout > 0 && st.croll >= (uint64_t)genLast - 1);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);

    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == N && !rr.fBadOrder && rr.cinit == 1 && rr.cterm == 1);

    /* Start in the middle, at a record boundary. */
    rr = read_all(&e.cfg, NULL, lsns[1234], 0, 1234);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == N - 1234 && !rr.fBadOrder && rr.cinit == 0);

    /* Every lsn of the writer is where the reader finds the record. */
    log_reader *prd = NULL;
    log_record rec;
    CHECK_ERR(log_reader_open(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, &prd), JET_errSuccess);
    uint32_t i = 0;
    JET_ERR err;
    while ((err = log_reader_next(prd, &rec)) == JET_errSuccess) {
        if (rec.type != REC_TYPE)
            continue;
        if (i >= N || rec.lsn != lsns[i]) {
            log_reader_close(prd);
            CHECK(0);
        }
        i++;
    }
    log_reader_close(prd);
    CHECK_ERR(err, JET_wrnNoMoreRecords);
    CHECK(i == N);

    /* genStop ends after that generation; a copy of archived logs reads alone. */
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 3, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(LSN_GEN(rr.lsnEnd) == 3 && rr.cclient > 0 && rr.cclient < N);
    char d2[1100], from[OS_PATH_MAX], to[OS_PATH_MAX];
    snprintf(d2, sizeof d2, "%s/backup", e.dir);
    CHECK_ERR(os_mkdir_p(d2), JET_errSuccess);
    for (int32_t g = 1; g <= 5; g++) {
        gen_path(&e, g, from);
        CHECK_ERR(log_path_dir(&e.cfg, d2, g, to, sizeof to), JET_errSuccess);
        CHECK(copy_file(from, to));
    }
    readres rb = read_all(&e.cfg, d2, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rb.err, JET_wrnNoMoreRecords);
    CHECK(LSN_GEN(rb.lsnEnd) == 5 && !rb.fBadOrder);
    rb = read_all(&e.cfg, d2, LSN_MAKE(1, 1, 0), 7, 0);
    CHECK_ERR(rb.err, JET_errMissingLogFile);
}

/* ---- torn tails, damage and stale records ---------------------------------------------------------- */

/* L6-L9: a block of the last flush that never landed (zeros) is a torn tail,
 * the end of the log; anything else broken in the current generation --
 * garbage in the last flush, any damage before it, a short file -- is
 * JET_errLogFileCorrupt, never a quiet end. */
TEST(torn_tail)
{
    tenv e;
    tenv_init(&e, "log_torn_tail", 256 * KB);
    log_writer *plw = NULL;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    lsn_t lsns[60];
    uint32_t cbs[60];
    uint64_t offB = 0; /* where the last flush began */
    for (uint32_t i = 0; i < 60; i++) {
        cbs[i] = 100 + i * 37;
        CHECK_ERR(append_id(plw, i, cbs[i], &lsns[i]), JET_errSuccess);
        if (i == 49) {
            CHECK_ERR(log_flush(plw, lsns[i]), JET_errSuccess);
            offB = log_off_of(log_durable_lsn(plw));
        }
    }
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    uint64_t offEnd = log_off_of(log_durable_lsn(plw));
    log_writer_abandon(plw);
    CHECK(offB % LOG_BLOCK == 0 && offEnd % LOG_BLOCK == 0 && offB == log_off_of(lsns[50]));
    char cur[OS_PATH_MAX];
    gen_path(&e, 0, cur);
    size_t cbOrig = 0;
    uint8_t *orig = load_file(cur, &cbOrig);
    CHECK(orig != NULL);
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == 60 && !rr.fBadOrder && log_off_of(rr.lsnEnd) == offEnd);

    static uint8_t zeros[64 * KB]; /* test-only, single-threaded */
    uint8_t junk[4000];
    memset(zeros, 0, sizeof zeros);
    uint32_t seed = 7;
    for (size_t k = 0; k < sizeof junk; k++)
        junk[k] = (uint8_t)rnd(&seed);

    /* Garbage over the last record, inside the last flush: damage. */
    CHECK(patch_file(cur, log_off_of(lsns[59]) + 20, junk, cbs[59]));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogFileCorrupt);
    CHECK(rr.cclient == 59);

    /* One bit anywhere in the first flush: damage (the second flush's trailer
     * says it was durable), corrected (R6) unless it hit a length field. */
    uint32_t ccorr = 0, crefused = 0;
    for (uint64_t off = LOG_HEADER_SIZE; off < offEnd; off += off < offB ? 331 : 97) {
        CHECK(store_file(cur, orig, cbOrig));
        uint8_t b = (uint8_t)(orig[off] ^ (1u << (off % 8)));
        CHECK(patch_file(cur, off, &b, 1));
        rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
        if (rr.err == JET_errLogFileCorrupt) {
            crefused++;
            continue;
        }
        /* Every record back: corrected, or the bit was in bytes no record
         * holds, or in the last flush's own trailer (the end of the log). */
        CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
        CHECK(rr.cclient == 60 && !rr.fBadOrder);
        ccorr += rr.ccorrected;
        CHECK(rr.ccorrected <= 1);
    }
    CHECK(ccorr > 2 * crefused && ccorr > 20);
    /* Two bits in one record: refused. */
    CHECK(store_file(cur, orig, cbOrig));
    {
        uint64_t off = log_off_of(lsns[10]) + LOG_REC_HEADER + 5;
        uint8_t b2[2] = { (uint8_t)(orig[off] ^ 0x01), (uint8_t)(orig[off + 1] ^ 0x80) };
        CHECK(patch_file(cur, off, b2, 2));
    }
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogFileCorrupt);
    CHECK(rr.cclient == 10 && rr.ccorrected == 0);
    /* A flipped bit in an archived generation is corrected too (below, after
     * the reopen archives this one). */
    /* A zeroed block in the first flush: damage. */
    CHECK(store_file(cur, orig, cbOrig));
    CHECK(patch_file(cur, log_roundup_block(log_off_of(lsns[20])), zeros, LOG_BLOCK));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogFileCorrupt);

    /* Truncated in the middle of record 55: no writer leaves a short file. */
    CHECK(store_file(cur, orig, cbOrig));
    CHECK(truncate_file(cur, log_off_of(lsns[55]) + 30));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogFileCorrupt);
    CHECK(rr.cclient == 55 && !rr.fBadOrder);

    /* Torn: the last flush's blocks from the one after record 52 on never
     * landed (zeros, trailer included). */
    CHECK(store_file(cur, orig, cbOrig));
    uint64_t blk = log_roundup_block(log_off_of(lsns[52]));
    CHECK(offEnd - blk <= sizeof zeros && patch_file(cur, blk, zeros, (size_t)(offEnd - blk)));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient >= 50 && rr.cclient <= 53 && !rr.fBadOrder);

    /* Torn the other way: one block in the middle of the last flush never
     * landed, the blocks after it (and the trailer) did. */
    CHECK(store_file(cur, orig, cbOrig));
    CHECK(patch_file(cur, blk, zeros, LOG_BLOCK));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient >= 50 && rr.cclient <= 53 && !rr.fBadOrder);
    uint32_t cGood = rr.cclient;

    /* L5: reopening closes the valid chain with GENEND, archives it, and the
     * new generation follows; the torn tail is never read again. */
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK(LSN_GEN(log_end_lsn(plw)) == 2);
    lsn_t lsn;
    CHECK_ERR(append_id(plw, cGood, 10, &lsn), JET_errSuccess);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == cGood + 1 && !rr.fBadOrder && rr.cinit == 2 && rr.cterm == 1);
    char arch[OS_PATH_MAX];
    gen_path(&e, 1, arch);
    uint64_t off = log_off_of(lsns[30]) + LOG_REC_HEADER + 3;
    uint8_t b = (uint8_t)(orig[off] ^ 0x04);
    CHECK(patch_file(arch, off, &b, 1));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == cGood + 1 && !rr.fBadOrder && rr.ccorrected == 1);
    os_free(orig);
}

TEST(stale_records_after_tail)
{
    tenv e;
    tenv_init(&e, "log_stale_after_tail", 256 * KB);
    log_writer *plw = NULL;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    lsn_t lsns[40];
    for (uint32_t i = 0; i < 40; i++) {
        CHECK_ERR(append_id(plw, i, 300, &lsns[i]), JET_errSuccess);
        if (i == 19 || i == 39)
            CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    }
    uint64_t tail = log_off_of(log_durable_lsn(plw));
    log_writer_abandon(plw);
    char cur[OS_PATH_MAX];
    gen_path(&e, 0, cur);
    size_t cb = 0;
    uint8_t *img = load_file(cur, &cb);
    CHECK(img != NULL && tail % LOG_BLOCK == 0);
    /* Valid records of this very generation, copied after the tail (as an
     * earlier use of the file would have left them): the chain rejects them. */
    uint64_t from = log_off_of(lsns[3]), to = log_off_of(lsns[39]) + LOG_REC_HEADER + 300;
    CHECK(patch_file(cur, tail, img + from, (size_t)(to - from)));
    /* And a copy of the very first records, at a block boundary further on. */
    CHECK(patch_file(cur, tail + 16 * LOG_BLOCK, img + LOG_HEADER_SIZE, 8 * LOG_BLOCK));
    os_free(img);
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    /* The end is the flush's pad (or, when fewer than 16 bytes were left, the last record). */
    CHECK(rr.cclient == 40 && !rr.fBadOrder && log_off_of(rr.lsnEnd) <= tail &&
          log_off_of(rr.lsnEnd) + LOG_REC_HEADER > tail);
}

/* ---- archived generations: corruption, holes, foreign files ------------------------------------ */

/* A stream of generations 1..genTarget-1 archived and B.log = genTarget. */
static JET_ERR make_stream(tenv *e, int32_t genTarget, uint32_t *pcount, JET_SIGNATURE *psign)
{
    log_writer *plw = NULL;
    uint32_t id = 0, seed = 99;
    JET_ERR err = log_writer_open(&e->cfg, NULL, 0, psign, &plw);
    if (err < 0)
        return err;
    err = fill(plw, &id, 0, genTarget, &seed);
    if (err >= 0) {
        lsn_t lsn;
        err = append_id(plw, id++, 50, &lsn);
    }
    if (err >= 0)
        err = log_writer_close_clean(plw);
    else
        log_writer_abandon(plw);
    *pcount = id;
    return err;
}

TEST(archived_corruption)
{
    tenv e;
    tenv_init(&e, "log_archived_corrupt", 64 * KB);
    uint32_t n = 0;
    CHECK_ERR(make_stream(&e, 5, &n, NULL), JET_errSuccess);
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == n && !rr.fBadOrder);

    char p2[OS_PATH_MAX];
    gen_path(&e, 2, p2);
    size_t cb = 0;
    uint8_t *orig = load_file(p2, &cb);
    CHECK(orig != NULL);
    /* Two flipped bits inside the records of an archived generation. */
    uint8_t b = orig[LOG_HEADER_SIZE + 3000] ^ 0x41;
    CHECK(patch_file(p2, LOG_HEADER_SIZE + 3000, &b, 1));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogFileCorrupt);
    CHECK(rr.cclient > 0 && rr.cclient < n && !rr.fBadOrder && rr.ccorrected == 0);
    /* One: corrected in memory (R6), reported, the file left as it is. */
    b = orig[LOG_HEADER_SIZE + 3000] ^ 0x40;
    CHECK(patch_file(p2, LOG_HEADER_SIZE + 3000, &b, 1));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == n && !rr.fBadOrder && rr.ccorrected == 1);
    /* Truncated before its GENEND. */
    CHECK(store_file(p2, orig, cb));
    CHECK(truncate_file(p2, cb / 2));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogFileCorrupt);
    /* A damaged header. */
    CHECK(store_file(p2, orig, cb));
    b = orig[20] ^ 1;
    CHECK(patch_file(p2, 20, &b, 1));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogFileCorrupt);
    log_header h;
    CHECK_ERR(log_read_header(p2, &h), JET_errLogFileCorrupt);
    /* Restored: fine again. */
    CHECK(store_file(p2, orig, cb));
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    os_free(orig);
}

TEST(missing_generations)
{
    tenv e;
    tenv_init(&e, "log_missing_gen", 64 * KB);
    uint32_t n = 0;
    CHECK_ERR(make_stream(&e, 6, &n, NULL), JET_errSuccess);
    log_stream_info info;
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errSuccess);
    CHECK(info.exists && info.genLow == 1 && info.genHigh == 5 && info.genCurrent == 6 && info.chkValid);

    char p3[OS_PATH_MAX], p3x[OS_PATH_MAX], cur[OS_PATH_MAX], curx[OS_PATH_MAX];
    gen_path(&e, 3, p3);
    snprintf(p3x, sizeof p3x, "%s.away", p3);
    CHECK_ERR(os_rename(p3, p3x), JET_errSuccess);
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errMissingLogFile);
    CHECK(rr.cclient > 0 && !rr.fBadOrder);
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errMissingLogFile);
    rr = read_all(&e.cfg, NULL, LSN_MAKE(3, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errMissingLogFile);
    /* Without B.log as well: still a hole. */
    gen_path(&e, 0, cur);
    snprintf(curx, sizeof curx, "%s.away", cur);
    CHECK_ERR(os_rename(cur, curx), JET_errSuccess);
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errMissingLogFile);
    /* Gen 3 back, B.log still gone: B.log was lost (R4). */
    CHECK_ERR(os_rename(p3x, p3), JET_errSuccess);
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errMissingLogFile);
    CHECK(rr.cclient < n && !rr.fBadOrder);
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errSuccess);
    CHECK(info.genCurrent == 0 && info.genHigh == 5);
    /* ... unless Btmp.log holds generation 6's header: a roll cut between its
     * renames, the log ends at the last archived generation. */
    char tmp[OS_PATH_MAX];
    gen_path(&e, -1, tmp);
    CHECK_ERR(os_rename(curx, tmp), JET_errSuccess);
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(LSN_GEN(rr.lsnEnd) == 5 && rr.cclient < n && !rr.fBadOrder);
    CHECK_ERR(os_rename(tmp, curx), JET_errSuccess);
    /* A 5-digit name under its 8-digit form is still found. */
    CHECK_ERR(os_rename(curx, cur), JET_errSuccess);
    char p8[OS_PATH_MAX];
    snprintf(p8, sizeof p8, "%s/edb00000004.log", e.dir);
    char p4[OS_PATH_MAX];
    gen_path(&e, 4, p4);
    CHECK_ERR(os_rename(p4, p8), JET_errSuccess);
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == n && !rr.fBadOrder);
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errSuccess);
    CHECK(info.genLow == 1 && info.genHigh == 5 && info.genCurrent == 6);
    /* Nothing at all. */
    tenv e2;
    tenv_init(&e2, "log_missing_gen_empty", 64 * KB);
    CHECK_ERR(log_survey(&e2.cfg, &info), JET_errSuccess);
    CHECK(!info.exists && !info.chkValid);
    rr = read_all(&e2.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errMissingLogFile);
}

TEST(foreign_and_out_of_sequence)
{
    tenv a, b;
    uint32_t na = 0, nb = 0;
    JET_SIGNATURE sa, sb;
    tenv_init(&b, "log_foreign_b", 64 * KB);
    CHECK_ERR(make_stream(&b, 5, &nb, &sb), JET_errSuccess);
    tenv_init(&a, "log_foreign_a", 64 * KB);
    CHECK_ERR(make_stream(&a, 5, &na, &sa), JET_errSuccess);
    CHECK(!log_sign_equal(&sa, &sb));

    char pa[OS_PATH_MAX], pb[OS_PATH_MAX];
    gen_path(&a, 3, pa);
    gen_path(&b, 3, pb);
    size_t cb = 0;
    uint8_t *orig = load_file(pa, &cb);
    CHECK(orig != NULL);
    CHECK(copy_file(pb, pa));
    readres rr = read_all(&a.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errBadLogSignature);
    log_stream_info info;
    CHECK_ERR(log_survey(&a.cfg, &info), JET_errBadLogSignature);

    /* Right signature, broken tmPrevGen chain. */
    CHECK(store_file(pa, orig, cb));
    orig[LOG_HOFF_TMPREV] ^= 0x1;
    le_put32(orig + LOG_HOFF_CRC, os_crc32c(0, orig + 4, LOG_HEADER_SIZE - 4));
    CHECK(store_file(pa, orig, cb));
    rr = read_all(&a.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errInvalidLogSequence);
    /* Starting at that generation does not check its predecessor. */
    rr = read_all(&a.cfg, NULL, LSN_MAKE(3, 1, 0), 0, 0);
    CHECK(rr.err == JET_wrnNoMoreRecords);
    /* A file named for another generation. */
    char p2[OS_PATH_MAX];
    gen_path(&a, 2, p2);
    CHECK(copy_file(p2, pa));
    rr = read_all(&a.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_errLogGenerationMismatch);
    os_free(orig);
}

/* ---- group commit ---------------------------------------------------------------------------- */

#define GC_THREADS 8
#define GC_PER     250

typedef struct gc_arg {
    log_writer *plw;
    uint32_t    tid;
    lsn_t       lsns[GC_PER];
    int         fail;
} gc_arg;

static void *gc_thread(void *pv)
{
    gc_arg *a = pv;
    uint8_t buf[600];
    uint32_t seed = a->tid + 1;
    for (uint32_t i = 0; i < GC_PER && !a->fail; i++) {
        uint32_t id = a->tid << 16 | i;
        uint32_t n = make_payload(id, 8 + rnd(&seed) % 500, buf);
        log_part part = { buf, n };
        if (log_append(a->plw, REC_TYPE, &part, 1, &a->lsns[i]) < 0)
            a->fail = 1;
        else if (rnd(&seed) % 3 != 0) {
            if (log_flush(a->plw, a->lsns[i]) < 0 || log_durable_lsn(a->plw) <= a->lsns[i])
                a->fail = 2;
        }
    }
    return NULL;
}

TEST(group_commit)
{
    tenv e;
    tenv_init(&e, "log_group_commit", 128 * KB);
    log_writer *plw = NULL;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    static gc_arg args[GC_THREADS];
    pthread_t th[GC_THREADS];
    for (uint32_t t = 0; t < GC_THREADS; t++) {
        memset(&args[t], 0, sizeof args[t]);
        args[t].plw = plw;
        args[t].tid = t;
        CHECK(pthread_create(&th[t], NULL, gc_thread, &args[t]) == 0);
    }
    for (uint32_t t = 0; t < GC_THREADS; t++)
        pthread_join(th[t], NULL);
    for (uint32_t t = 0; t < GC_THREADS; t++)
        CHECK(args[t].fail == 0);
    log_writer_stats st;
    log_writer_get_stats(plw, &st);
    CHECK(st.csync > 0 && st.cappend >= GC_THREADS * GC_PER);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);

    /* Every record is where its append said, once, and per thread in order. */
    log_reader *prd = NULL;
    log_record rec;
    uint32_t next[GC_THREADS] = { 0 };
    uint32_t total = 0;
    JET_ERR err;
    CHECK_ERR(log_reader_open(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, &prd), JET_errSuccess);
    while ((err = log_reader_next(prd, &rec)) == JET_errSuccess) {
        uint32_t id;
        if (rec.type != REC_TYPE)
            continue;
        int ok = check_payload(&rec, &id);
        uint32_t t = id >> 16, i = id & 0xFFFF;
        ok = ok && t < GC_THREADS && i == next[t] && args[t].lsns[i] == rec.lsn;
        if (!ok) {
            log_reader_close(prd);
            CHECK(0);
        }
        next[t]++;
        total++;
    }
    log_reader_close(prd);
    CHECK_ERR(err, JET_wrnNoMoreRecords);
    CHECK(total == GC_THREADS * GC_PER);
}

/* ---- crash and reopen --------------------------------------------------------------------------- */

TEST(reopen_after_crash)
{
    tenv e;
    tenv_init(&e, "log_reopen_crash", 64 * KB);
    log_writer *plw = NULL;
    lsn_t lsn;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    for (uint32_t i = 0; i < 30; i++)
        CHECK_ERR(append_id(plw, i, 100, &lsn), JET_errSuccess);
    CHECK_ERR(log_flush(plw, lsn), JET_errSuccess);
    for (uint32_t i = 30; i < 35; i++) /* never flushed: lost */
        CHECK_ERR(append_id(plw, i, 100, &lsn), JET_errSuccess);
    log_writer_abandon(plw);
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == 30 && rr.cinit == 1);

    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK(log_end_lsn(plw) == LSN_MAKE(2, 1, LOG_REC_HEADER)); /* L5: a new generation, INIT first */
    char p[OS_PATH_MAX];
    gen_path(&e, 1, p);
    CHECK(os_exists(p));
    for (uint32_t i = 30; i < 40; i++)
        CHECK_ERR(append_id(plw, i, 100, &lsn), JET_errSuccess);
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    log_writer_abandon(plw); /* crash again */
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK(LSN_GEN(log_end_lsn(plw)) == 3);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
    rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == 40 && !rr.fBadOrder && rr.cinit == 3 && rr.cterm == 1);
    log_checkpoint chk;
    CHECK_ERR(log_checkpoint_read(&e.cfg, &chk), JET_errSuccess);
    CHECK(chk.lsnCheckpoint == rr.lsnLast); /* the clean shutdown's checkpoint is at TERM */
}

/* A crash at every step of a roll: stop the k-th write (or sync) and
 * everything after it, then check the log still reads every durable record,
 * and that a writer reopens and continues. */
TEST(roll_crash_each_step)
{
    int kinds[2] = { OS_FAULT_WRITE, OS_FAULT_SYNC };
    for (int ki = 0; ki < 2; ki++) {
        for (uint32_t k = 1; k <= 12; k++) {
            char name[64];
            snprintf(name, sizeof name, "log_roll_crash_%d_%u", ki, k);
            tenv e;
            tenv_init(&e, name, 64 * KB);
            log_writer *plw = NULL;
            lsn_t lsn;
            uint32_t id = 0, seed = k;
            CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
            CHECK_ERR(fill(plw, &id, 0, 2, &seed), JET_errSuccess); /* into generation 2 */
            for (uint32_t i = 0; i < 10; i++)
                CHECK_ERR(append_id(plw, id++, 200, &lsn), JET_errSuccess);
            CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
            uint32_t durable = id;
            for (uint32_t i = 0; i < 5; i++) /* not flushed; the roll flushes them */
                CHECK_ERR(append_id(plw, id++, 200, &lsn), JET_errSuccess);
            os_fault_io(kinds[ki], k, 1, JET_errDiskIO);
            int32_t genNew = 0;
            JET_ERR errRoll = log_roll(plw, &genNew);
            os_fault_io(kinds[ki], 0, 0, 0);
            log_writer_abandon(plw);

            readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
            CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
            CHECK(!rr.fBadOrder && rr.cclient >= durable && rr.cclient <= id);
            if (errRoll >= 0)
                CHECK(rr.cclient == id && genNew == 3);
            else
                CHECK_ERR(errRoll, JET_errLogWriteFail);
            log_stream_info info;
            CHECK_ERR(log_survey(&e.cfg, &info), JET_errSuccess);

            CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
            uint32_t have = rr.cclient;
            CHECK_ERR(append_id(plw, have, 300, &lsn), JET_errSuccess);
            CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
            rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
            CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
            CHECK(!rr.fBadOrder && rr.cclient == have + 1 && rr.cterm == 1);
            if (errRoll >= 0)
                break;
        }
    }
}

/* ---- failures ------------------------------------------------------------------------------------ */

TEST(write_failure_poisons)
{
    int kinds[2] = { OS_FAULT_WRITE, OS_FAULT_SYNC };
    for (int ki = 0; ki < 2; ki++) {
        tenv e;
        tenv_init(&e, ki ? "log_poison_sync" : "log_poison_write", 64 * KB);
        log_writer *plw = NULL;
        lsn_t lsn, lsnDurable;
        CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
        for (uint32_t i = 0; i < 10; i++)
            CHECK_ERR(append_id(plw, i, 100, &lsn), JET_errSuccess);
        CHECK_ERR(log_flush(plw, lsn), JET_errSuccess);
        lsnDurable = log_durable_lsn(plw);
        CHECK_ERR(append_id(plw, 10, 100, &lsn), JET_errSuccess);
        os_fault_io(kinds[ki], 1, 0, JET_errDiskIO);
        CHECK_ERR(log_flush(plw, lsn), JET_errLogWriteFail);
        os_fault_io(kinds[ki], 0, 0, 0);
        CHECK(log_durable_lsn(plw) == lsnDurable); /* L1 */
        CHECK_ERR(append_id(plw, 11, 100, &lsn), JET_errLogWriteFail);
        CHECK_ERR(log_flush(plw, LSN_NIL), JET_errLogWriteFail);
        CHECK_ERR(log_roll(plw, NULL), JET_errLogWriteFail);
        CHECK_ERR(log_set_checkpoint(plw, LSN_MAKE(1, 1, 0)), JET_errLogWriteFail);
        CHECK_ERR(log_writer_close_clean(plw), JET_errLogWriteFail);
        readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
        CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
        CHECK(rr.cclient >= 10 && rr.cclient <= 11 && rr.cterm == 0);
    }
}

TEST(disk_full_uses_reserve)
{
    tenv e;
    tenv_init(&e, "log_disk_full", 64 * KB);
    log_writer *plw = NULL;
    lsn_t lsn;
    uint32_t id = 0, seed = 5;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK_ERR(fill(plw, &id, 40, 0, &seed), JET_errSuccess);
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    char tmp[OS_PATH_MAX], res1[OS_PATH_MAX], res2[OS_PATH_MAX];
    gen_path(&e, -1, tmp);
    gen_path(&e, -2, res1);
    gen_path(&e, -3, res2);
    CHECK_ERR(os_unlink(tmp), JET_errSuccess);
    /* The next roll cannot create Btmp.log: the disk is full. */
    os_fault_io(OS_FAULT_WRITE, 1, 0, JET_errDiskFull);
    uint32_t cbBig = 64 * KB - LOG_HEADER_SIZE - 2 * LOG_BLOCK - LOG_REC_HEADER;
    CHECK_ERR(append_id(plw, id, cbBig, &lsn), JET_errLogDiskFull);
    os_fault_io(OS_FAULT_WRITE, 0, 0, 0);
    CHECK_ERR(append_id(plw, id, 10, &lsn), JET_errLogDiskFull);
    log_writer_stats st;
    log_writer_get_stats(plw, &st);
    CHECK(st.fReserveInUse);
    CHECK(!os_exists(res1) && os_exists(res2));
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess); /* TERM goes to the reserve log */
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == id && rr.cterm == 1 && LSN_GEN(rr.lsnLast) == 2);
    /* Reopening (space back) restores the reserves. */
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK(os_exists(res1) && os_exists(res2));
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);

    /* No reserve left: the roll reports LogDiskFull and nothing is poisoned. */
    tenv e2;
    tenv_init(&e2, "log_disk_full_noreserve", 64 * KB);
    CHECK_ERR(log_writer_open(&e2.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK_ERR(append_id(plw, 0, 100, &lsn), JET_errSuccess);
    gen_path(&e2, -1, tmp);
    gen_path(&e2, -2, res1);
    gen_path(&e2, -3, res2);
    CHECK_ERR(os_unlink(tmp), JET_errSuccess);
    CHECK_ERR(os_unlink(res1), JET_errSuccess);
    CHECK_ERR(os_unlink(res2), JET_errSuccess);
    os_fault_io(OS_FAULT_WRITE, 1, 0, JET_errDiskFull);
    CHECK_ERR(append_id(plw, 1, cbBig, &lsn), JET_errLogDiskFull);
    os_fault_io(OS_FAULT_WRITE, 0, 0, 0);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess); /* TERM still fits in generation 1 */
    rr = read_all(&e2.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == 1 && rr.cterm == 1);
}

/* ---- circular logging ------------------------------------------------------------------------------ */

TEST(circular_logging)
{
    tenv e;
    tenv_init(&e, "log_circular", 64 * KB);
    e.cfg.circular = 1;
    log_writer *plw = NULL;
    lsn_t lsn;
    uint32_t id = 0, seed = 11;
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK_ERR(fill(plw, &id, 0, 4, &seed), JET_errSuccess);
    CHECK_ERR(append_id(plw, id++, 100, &lsn), JET_errSuccess);
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    char p[OS_PATH_MAX], tmp[OS_PATH_MAX];
    gen_path(&e, -1, tmp);
    for (int32_t g = 1; g <= 3; g++) {
        gen_path(&e, g, p);
        CHECK(os_exists(p));
    }
    /* Checkpoint at the start of generation 4: 1..3 go, the oldest becoming Btmp.log. */
    CHECK(!os_exists(tmp));
    CHECK_ERR(log_set_checkpoint(plw, LSN_MAKE(4, 1, 0)), JET_errSuccess);
    log_writer_stats st;
    log_writer_get_stats(plw, &st);
    CHECK(st.crecycle == 1 && st.cdelete == 2 && os_exists(tmp));
    for (int32_t g = 1; g <= 3; g++) {
        gen_path(&e, g, p);
        CHECK(!os_exists(p));
    }
    /* The recycled file becomes generation 5, zero-filled (L6). */
    int32_t g5 = 0;
    CHECK_ERR(log_roll(plw, &g5), JET_errSuccess);
    CHECK(g5 == 5);
    uint32_t idGen5 = id;
    for (uint32_t i = 0; i < 3; i++)
        CHECK_ERR(append_id(plw, id++, 40, &lsn), JET_errSuccess);
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    uint64_t tail = log_off_of(log_durable_lsn(plw));
    log_writer_abandon(plw);
    char cur[OS_PATH_MAX];
    gen_path(&e, 0, cur);
    size_t cb = 0;
    uint8_t *img = load_file(cur, &cb);
    CHECK(img != NULL);
    int fStale = 0;
    for (size_t k = tail; k < cb && !fStale; k++)
        fStale = img[k] != 0;
    os_free(img);
    CHECK(!fStale); /* L6: nothing of the file's earlier life survives past the tail */
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(5, 1, 0), 0, idGen5);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == 3 && !rr.fBadOrder && log_off_of(rr.lsnEnd) <= tail &&
          log_off_of(rr.lsnEnd) + LOG_REC_HEADER > tail);
    log_checkpoint chk;
    CHECK_ERR(log_checkpoint_read(&e.cfg, &chk), JET_errSuccess);
    rr = read_all(&e.cfg, NULL, chk.lsnCheckpoint, 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);

    /* Steady state: the checkpoint follows one generation behind; the folder
     * stays small and everything from the checkpoint on reads. */
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    int32_t gen = LSN_GEN(log_end_lsn(plw));
    CHECK(gen == 6);
    uint32_t idPrev = 0, idChk = 0;
    lsn_t lsnPrev = LSN_NIL, lsnChk = LSN_NIL;
    for (int round = 0; round < 12; round++) {
        CHECK_ERR(fill(plw, &id, 0, gen + 1, &seed), JET_errSuccess);
        gen = LSN_GEN(log_end_lsn(plw));
        CHECK_ERR(append_id(plw, id, 30, &lsn), JET_errSuccess);
        CHECK_ERR(log_flush(plw, lsn), JET_errSuccess);
        if (lsnPrev != LSN_NIL) { /* the checkpoint lags one round behind */
            CHECK_ERR(log_set_checkpoint(plw, lsnPrev), JET_errSuccess);
            lsnChk = lsnPrev;
            idChk = idPrev;
        }
        lsnPrev = lsn;
        idPrev = id++;
    }
    CHECK(LSN_GEN(lsnChk) >= 2 && LSN_GEN(lsnChk) < gen);
    log_writer_get_stats(plw, &st);
    CHECK(st.crecycle >= 5);
    for (int32_t g = 1; g < gen; g++) {
        char q[OS_PATH_MAX];
        gen_path(&e, g, q);
        CHECK(os_exists(q) == (g >= LSN_GEN(lsnChk)));
    }
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
    CHECK_ERR(log_checkpoint_read(&e.cfg, &chk), JET_errSuccess); /* now at TERM */
    rr = read_all(&e.cfg, NULL, lsnChk, 0, idChk);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == id - idChk && !rr.fBadOrder && rr.cterm == 1);
    log_stream_info info;
    CHECK_ERR(log_survey(&e.cfg, &info), JET_errSuccess);
    CHECK(info.genLow == LSN_GEN(lsnChk) && info.genCurrent == gen && info.chkValid);
    CHECK(info.lsnCheckpoint == chk.lsnCheckpoint);
    log_header h;
    CHECK_ERR(log_read_header(cur, &h), JET_errSuccess);
    CHECK(h.flags & LOG_HDR_CIRCULAR);
}

/* ---- the checkpoint file --------------------------------------------------------------------------- */

TEST(checkpoint_file)
{
    tenv e;
    tenv_init(&e, "log_checkpoint", 64 * KB);
    log_checkpoint c, r;
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errCheckpointFileNotFound);
    memset(&c, 0, sizeof c);
    c.lsnCheckpoint = LSN_MAKE(7, 3, 512);
    c.signLog.ulRandom = 1234;
    c.lsnFullBackup = LSN_MAKE(2, 1, 0);
    c.cattach = 1;
    c.attach[0].dbid = 3;
    snprintf(c.attach[0].path, sizeof c.attach[0].path, "/x/y.edb");
    CHECK_ERR(log_checkpoint_write(&e.cfg, &c), JET_errSuccess);
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errSuccess);
    CHECK(r.lsnCheckpoint == c.lsnCheckpoint && r.signLog.ulRandom == 1234 && r.lsnFullBackup == c.lsnFullBackup);
    CHECK(r.cattach == 1 && r.attach[0].dbid == 3 && strcmp(r.attach[0].path, "/x/y.edb") == 0);
    char p[OS_PATH_MAX];
    gen_path(&e, -10, p);
    uint64_t cb = 0;
    CHECK(file_size(p, &cb) && cb == 8192);
    size_t cbf = 0;
    uint8_t *img = load_file(p, &cbf);
    CHECK(img != NULL && le_get32(img + 12) == JET_filetypeCheckpoint && memcmp(img, img + 4096, 4096) == 0);
    os_free(img);

    /* A crash after copy A: A is newer and read. */
    log_checkpoint c2 = c;
    c2.lsnCheckpoint = LSN_MAKE(8, 1, 0);
    os_fault_io(OS_FAULT_WRITE, 2, 0, JET_errDiskIO);
    CHECK_ERR(log_checkpoint_write(&e.cfg, &c2), JET_errDiskIO);
    os_fault_io(OS_FAULT_WRITE, 0, 0, 0);
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errSuccess);
    CHECK(r.lsnCheckpoint == c2.lsnCheckpoint);
    /* Copy A damaged: copy B still reads. */
    uint8_t junk = 0x5A;
    CHECK(patch_file(p, 100, &junk, 1));
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errSuccess);
    CHECK(r.lsnCheckpoint == c.lsnCheckpoint);
    /* Both damaged. */
    CHECK(patch_file(p, 4096 + 100, &junk, 1));
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errCheckpointCorrupt);
    /* A rewrite repairs both; a short file still reads copy A. */
    CHECK_ERR(log_checkpoint_write(&e.cfg, &c2), JET_errSuccess);
    CHECK(truncate_file(p, 4096));
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errSuccess);
    CHECK(r.lsnCheckpoint == c2.lsnCheckpoint);
    CHECK(truncate_file(p, 100));
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errCheckpointCorrupt);
    CHECK_ERR(os_unlink(p), JET_errSuccess);
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errCheckpointFileNotFound);

    /* Through the writer: set_checkpoint writes it with the stream's signature and attach list. */
    log_attach att;
    memset(&att, 0, sizeof att);
    att.dbid = 9;
    snprintf(att.path, sizeof att.path, "/db/nine.edb");
    JET_SIGNATURE sign;
    log_writer *plw = NULL;
    CHECK_ERR(log_writer_open(&e.cfg, &att, 1, &sign, &plw), JET_errSuccess);
    CHECK_ERR(log_set_checkpoint(plw, LSN_MAKE(1, 1, 0)), JET_errSuccess);
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errSuccess);
    CHECK(r.lsnCheckpoint == LSN_MAKE(1, 1, 0) && log_sign_equal(&r.signLog, &sign) && r.cattach == 1);
    CHECK(r.attach[0].dbid == 9);
    int32_t g = 0;
    CHECK_ERR(log_roll(plw, &g), JET_errSuccess);
    log_header h;
    gen_path(&e, 0, p);
    CHECK_ERR(log_read_header(p, &h), JET_errSuccess);
    CHECK(h.generation == g && h.cattach == 1 && h.attach[0].dbid == 9 && h.lsnCheckpoint == LSN_MAKE(1, 1, 0));
    log_writer_set_attach(plw, NULL, 0);
    CHECK_ERR(log_roll(plw, &g), JET_errSuccess);
    CHECK_ERR(log_read_header(p, &h), JET_errSuccess);
    CHECK(h.generation == g && h.cattach == 0);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
    CHECK_ERR(log_checkpoint_read(&e.cfg, &r), JET_errSuccess);
    CHECK(r.cattach == 0 && r.lsnCheckpoint > LSN_MAKE(1, 1, 0));
}

/* ---- faults while opening ------------------------------------------------------------------------ */

/* Allocation failures and I/O stops at every step of log_writer_open (which
 * closes and archives an unterminated B.log, creates reserves and Btmp.log
 * and installs a new generation) and of the reader: a clean error, nothing
 * leaked, and the stream still reads and reopens. */
TEST(open_faults)
{
    tenv e;
    tenv_init(&e, "log_open_faults", 64 * KB);
    uint32_t n = 0, seed = 3;
    log_writer *plw = NULL;
    lsn_t lsn;
    CHECK_ERR(make_stream(&e, 3, &n, NULL), JET_errSuccess);
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK_ERR(fill(plw, &n, 20, 0, &seed), JET_errSuccess);
    CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
    log_writer_abandon(plw); /* a crash: B.log has no GENEND */

    for (uint32_t k = 1; k < 500; k++) {
        plw = NULL;
        os_fault_alloc(k, 0);
        JET_ERR err = log_writer_open(&e.cfg, NULL, 0, NULL, &plw);
        uint32_t hits = os_fault_alloc_hits();
        os_fault_alloc(0, 0);
        if (err >= 0)
            log_writer_abandon(plw);
        else
            CHECK_ERR(err, JET_errOutOfMemory);
        readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
        CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
        CHECK(rr.cclient == n && !rr.fBadOrder);
        if (hits == 0)
            break;
    }
    for (uint32_t k = 1; k < 500; k++) {
        os_fault_alloc(k, 0);
        readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
        uint32_t hits = os_fault_alloc_hits();
        os_fault_alloc(0, 0);
        CHECK(rr.err == JET_errOutOfMemory || (rr.err == JET_wrnNoMoreRecords && rr.cclient == n));
        if (hits == 0)
            break;
    }
    int kinds[2] = { OS_FAULT_WRITE, OS_FAULT_SYNC };
    for (int ki = 0; ki < 2; ki++) {
        for (uint32_t k = 1; k <= 16; k++) {
            /* Leave an unterminated B.log behind each time. */
            CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
            CHECK_ERR(log_flush(plw, LSN_NIL), JET_errSuccess);
            log_writer_abandon(plw);
            plw = NULL;
            os_fault_io(kinds[ki], k, 1, JET_errDiskIO);
            JET_ERR err = log_writer_open(&e.cfg, NULL, 0, NULL, &plw);
            os_fault_io(kinds[ki], 0, 0, 0);
            if (err >= 0)
                log_writer_abandon(plw);
            readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
            CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
            CHECK(rr.cclient == n && !rr.fBadOrder);
            log_stream_info info;
            CHECK_ERR(log_survey(&e.cfg, &info), JET_errSuccess);
        }
    }
    CHECK_ERR(log_writer_open(&e.cfg, NULL, 0, NULL, &plw), JET_errSuccess);
    CHECK_ERR(append_id(plw, n, 10, &lsn), JET_errSuccess);
    CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == n + 1 && !rr.fBadOrder && rr.cterm == 2);
}

/* ---- legacy extensions ------------------------------------------------------------------------------- */

TEST(jtx_names_stream)
{
    tenv e;
    tenv_init(&e, "log_jtx", 64 * KB);
    e.cfg.legacy_names = 0;
    e.cfg.base = "abc";
    uint32_t n = 0;
    CHECK_ERR(make_stream(&e, 3, &n, NULL), JET_errSuccess);
    char p[OS_PATH_MAX];
    snprintf(p, sizeof p, "%s/abc00000001.jtx", e.dir);
    CHECK(os_exists(p));
    snprintf(p, sizeof p, "%s/abc.jtx", e.dir);
    CHECK(os_exists(p));
    snprintf(p, sizeof p, "%s/abc.jcp", e.dir);
    CHECK(os_exists(p));
    readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
    CHECK_ERR(rr.err, JET_wrnNoMoreRecords);
    CHECK(rr.cclient == n);
    /* Another base name in the same folder is another stream. */
    log_config other = e.cfg;
    other.base = "xyz";
    log_stream_info info;
    CHECK_ERR(log_survey(&other, &info), JET_errSuccess);
    CHECK(!info.exists);
}

/* ---- fuzz ------------------------------------------------------------------------------------------- */

typedef struct fz_file {
    char     path[OS_PATH_MAX];
    uint8_t *img;
    size_t   cb;
} fz_file;

static JET_ERR rm_one(const char *name, void *ctx)
{
    char p[OS_PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", (const char *)ctx, name);
    os_unlink(p);
    return JET_errSuccess;
}

TEST(fuzz_reader)
{
    tenv e;
    tenv_init(&e, "log_fuzz", 64 * KB);
    uint32_t n = 0;
    CHECK_ERR(make_stream(&e, 4, &n, NULL), JET_errSuccess);
    fz_file files[4];
    int32_t gens[4] = { 1, 2, 3, 0 };
    for (int i = 0; i < 4; i++) {
        gen_path(&e, gens[i], files[i].path);
        files[i].img = load_file(files[i].path, &files[i].cb);
        CHECK(files[i].img != NULL);
    }
    uint32_t seed = 2024;
    uint8_t junk[LOG_BLOCK];
    for (int iter = 0; iter < 300; iter++) {
        /* Restore the stream exactly. */
        os_list_dir(e.dir, rm_one, e.dir);
        for (int i = 0; i < 4; i++)
            CHECK(store_file(files[i].path, files[i].img, files[i].cb));
        fz_file *f = &files[rnd(&seed) % 4];
        uint32_t what = rnd(&seed) % 4;
        uint64_t off = (rnd(&seed) % 2) ? rnd(&seed) % 8192 : rnd(&seed) % f->cb;
        if (what == 0) { /* flip a few bytes */
            for (uint32_t k = 1 + rnd(&seed) % 8; k > 0; k--) {
                uint64_t o = (off + rnd(&seed) % 64) % f->cb;
                uint8_t b = f->img[o] ^ (uint8_t)(1u << (rnd(&seed) % 8));
                CHECK(patch_file(f->path, o, &b, 1));
            }
        } else if (what == 1) { /* truncate */
            CHECK(truncate_file(f->path, off));
        } else if (what == 2) { /* a random block */
            for (size_t k = 0; k < sizeof junk; k++)
                junk[k] = (uint8_t)rnd(&seed);
            CHECK(patch_file(f->path, off & ~(uint64_t)(LOG_BLOCK - 1), junk, sizeof junk));
        } else { /* a huge or tiny length field */
            uint8_t len[4];
            le_put32(len, rnd(&seed) % 2 ? 0xFFFFFFF0u - rnd(&seed) % 4096 : rnd(&seed) % 32);
            CHECK(patch_file(f->path, LOG_HEADER_SIZE + (off % 4096 & ~(uint64_t)15), len, 4));
        }
        readres rr = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
        CHECK(rr.err == JET_wrnNoMoreRecords || (rr.err < 0 && rr.err != -99999));
        CHECK(!rr.fBadOrder && rr.cclient <= n); /* never a garbage record */
        log_stream_info info;
        (void)log_survey(&e.cfg, &info);
        log_header h;
        (void)log_read_header(f->path, &h);
        if (iter % 4 == 0) {
            /* The writer on a damaged stream: an error, or a stream that reads. */
            log_writer *plw = NULL;
            if (log_writer_open(&e.cfg, NULL, 0, NULL, &plw) >= 0) {
                CHECK_ERR(log_writer_close_clean(plw), JET_errSuccess);
                readres r2 = read_all(&e.cfg, NULL, LSN_MAKE(1, 1, 0), 0, 0);
                CHECK(r2.err == JET_wrnNoMoreRecords || (r2.err < 0 && r2.err != -99999));
                CHECK(!r2.fBadOrder);
            }
        }
    }
    for (int i = 0; i < 4; i++)
        os_free(files[i].img);
}

UNIT_MAIN()
