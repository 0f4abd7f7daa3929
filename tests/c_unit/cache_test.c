/* Unit tests of the page cache and the database header (csrc/cache). */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "unit.h"
#include "cache.h"
#include "cache_int.h"

/* ---- helpers ------------------------------------------------------------------ */

static char g_dir[1024];
static char g_path[1200];

/* A fresh folder for the test and g_path = <folder>/<file>. */
static const char *test_path(const char *test, const char *file)
{
    snprintf(g_dir, sizeof g_dir, "%s", unit_dir(test));
    snprintf(g_path, sizeof g_path, "%s/%s", g_dir, file);
    return g_path;
}

static JET_ERR open_db(cache *pc, uint32_t dbid, const char *path, int fCreate)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(path, fCreate ? (OS_FILE_CREATE | OS_FILE_WRITE) : OS_FILE_WRITE, &pf);
    if (err < 0)
        return err;
    err = cache_open_file(pc, dbid, pf);
    if (err < 0)
        os_file_close(pf);
    return err;
}

static JET_ERR raw_io(const char *path, uint64_t off, void *pv, size_t cb, int fWrite)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(path, OS_FILE_WRITE, &pf);
    if (err < 0)
        return err;
    err = fWrite ? os_file_write(pf, off, pv, cb) : os_file_read(pf, off, pv, cb, NULL);
    os_file_close(pf);
    return err;
}

static void fill(uint8_t *pv, uint32_t cb, uint32_t pgno, uint32_t seed)
{
    for (uint32_t i = PAGE_HEADER_SIZE; i < cb; i++)
        pv[i] = (uint8_t)(pgno * 31 + seed * 7 + i);
}

static int check_fill(const uint8_t *pv, uint32_t cb, uint32_t pgno, uint32_t seed)
{
    for (uint32_t i = PAGE_HEADER_SIZE; i < cb; i++) {
        if (pv[i] != (uint8_t)(pgno * 31 + seed * 7 + i))
            return 0;
    }
    return 1;
}

/* New page pgno filled with (pgno, seed), dirtied at lsn (LSN_NIL: unlogged). */
static JET_ERR put_page(cache *pc, uint32_t dbid, uint32_t pgno, uint32_t seed, lsn_t lsn)
{
    bf *pbf = NULL;
    JET_ERR err = cache_new(pc, dbid, pgno, &pbf);
    if (err < 0)
        return err;
    fill(bf_data(pbf), cache_page_size(pc), pgno, seed);
    if (lsn == LSN_NIL)
        cache_dirty_unlogged(pbf);
    else
        cache_dirty(pbf, lsn);
    cache_release(pbf);
    return JET_errSuccess;
}

/* 1 if page pgno reads back filled with (pgno, seed). */
static JET_ERR get_page(cache *pc, uint32_t dbid, uint32_t pgno, uint32_t seed)
{
    bf *pbf = NULL;
    JET_ERR err = cache_read(pc, dbid, pgno, LATCH_SHARED, &pbf);
    if (err < 0)
        return err;
    err = check_fill(bf_data(pbf), cache_page_size(pc), pgno, seed) && bf_pgno(pbf) == pgno ? 1 : 0;
    cache_release(pbf);
    return err;
}

static uint32_t stat_frames(cache *pc)
{
    cache_stats st;
    cache_get_stats(pc, &st);
    return st.cframes;
}

static uint32_t stat_dirty(cache *pc)
{
    cache_stats st;
    cache_get_stats(pc, &st);
    return st.cdirty;
}

static uint32_t stat_latched(cache *pc)
{
    cache_stats st;
    cache_get_stats(pc, &st);
    return st.clatched;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- core page API ------------------------------------------------------------ */

TEST(create_parameters)
{
    cache *pc = NULL;
    CHECK_ERR(cache_create(2048, 16, &pc), JET_errInvalidParameter);
    CHECK_ERR(cache_create(4096, 0, &pc), JET_errInvalidParameter);
    CHECK_ERR(cache_create(4096, 16, &pc), JET_errSuccess);
    CHECK(cache_page_size(pc) == 4096);
    bf *pbf = NULL;
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errInvalidDatabaseId);
    CHECK_ERR(cache_read(pc, 8, 1, LATCH_SHARED, &pbf), JET_errInvalidParameter);
    CHECK_ERR(cache_open_file(pc, 0, NULL), JET_errInvalidParameter);
    cache_destroy(pc);
}

TEST(roundtrip_page_sizes)
{
    static const uint32_t rgcb[] = { 4096, 8192, 16384, 32768 };
    for (size_t k = 0; k < 4; k++) {
        uint32_t cb = rgcb[k];
        char name[64];
        snprintf(name, sizeof name, "roundtrip_%u", cb);
        const char *path = test_path(name, "db.edb");
        cache *pc = NULL;
        uint32_t cpg = 0;
        CHECK_ERR(cache_create(cb, 8, &pc), JET_errSuccess);
        CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
        CHECK(cache_file(pc, 1) != NULL && cache_file(pc, 2) == NULL);
        CHECK_ERR(cache_file_pages(pc, 1, &cpg), JET_errSuccess);
        CHECK(cpg == 0);
        CHECK_ERR(cache_extend_file(pc, 1, 10), JET_errSuccess);
        CHECK_ERR(cache_file_pages(pc, 1, &cpg), JET_errSuccess);
        CHECK(cpg == 10);
        for (uint32_t pgno = 1; pgno <= 20; pgno++)
            CHECK_ERR(put_page(pc, 1, pgno, k, LSN_MAKE(1, pgno, 8)), JET_errSuccess);
        CHECK(stat_frames(pc) <= 8);
        CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
        CHECK(stat_dirty(pc) == 0);
        CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
        cache_destroy(pc);

        /* The file: data page pgno at (pgno+1)*cb, crc seeded with pgno. */
        uint8_t *raw = os_malloc(cb);
        CHECK(raw != NULL);
        CHECK_ERR(raw_io(path, 4ull * cb, raw, cb, 0), JET_errSuccess);
        CHECK(le_get32(raw + PAGE_OFF_PGNO) == 3);
        CHECK(le_get32(raw + PAGE_OFF_CRC) == os_crc32c(3, raw + 4, cb - 4));
        CHECK(le_get64(raw + PAGE_OFF_LSN) == LSN_MAKE(1, 3, 8));
        CHECK(check_fill(raw, cb, 3, k));
        os_free(raw);

        CHECK_ERR(cache_create(cb, 8, &pc), JET_errSuccess);
        CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
        CHECK_ERR(cache_file_pages(pc, 1, &cpg), JET_errSuccess);
        CHECK(cpg == 20);
        for (uint32_t pgno = 20; pgno >= 1; pgno--) {
            bf *pbf = NULL;
            CHECK_ERR(cache_read(pc, 1, pgno, pgno % 2 ? LATCH_SHARED : LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
            CHECK(bf_pgno(pbf) == pgno);
            CHECK(bf_lsn(pbf) == LSN_MAKE(1, pgno, 8));
            CHECK(check_fill(bf_data(pbf), cb, pgno, k));
            cache_release(pbf);
        }
        CHECK(stat_latched(pc) == 0);
        CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
        cache_destroy(pc);
    }
}

TEST(new_zeroes_cached_page)
{
    const char *path = test_path("new_zeroes_cached_page", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL;
    CHECK_ERR(cache_create(4096, 8, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 1, 5, LSN_MAKE(1, 1, 0)), JET_errSuccess);
    CHECK_ERR(cache_new(pc, 1, 1, &pbf), JET_errSuccess);
    const uint8_t *pv = bf_data(pbf);
    CHECK(le_get32(pv + PAGE_OFF_PGNO) == 1);
    CHECK(bf_lsn(pbf) == LSN_NIL);
    int fZero = 1;
    for (uint32_t i = PAGE_OFF_LSN; i < 4096; i++)
        fZero &= pv[i] == 0;
    CHECK(fZero);
    cache_release(pbf);
    /* Shared latches coexist. */
    bf *pbf2 = NULL;
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf2), JET_errSuccess);
    CHECK(pbf == pbf2 && stat_latched(pc) == 1);
    cache_release(pbf);
    cache_release(pbf2);
    CHECK(stat_latched(pc) == 0);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

/* C5: the checked mark survives shared latches only; an exclusive release,
 * eviction and closing the file clear it, so a mark always describes the
 * bytes now in the frame. */
TEST(checked_mark_cleared_when_bytes_may_change)
{
    const char *path = test_path("checked_mark_cleared_when_bytes_may_change", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL, *pbf2 = NULL;
    CHECK_ERR(cache_create(4096, 4, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= 8; pgno++)
        CHECK_ERR(put_page(pc, 1, pgno, 0, LSN_NIL), JET_errSuccess);
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);

    /* A page made by cache_new starts unmarked; marking it under the
     * exclusive latch does not outlive the latch. */
    CHECK_ERR(cache_new(pc, 1, 9, &pbf), JET_errSuccess);
    CHECK(!bf_checked(pbf));
    bf_set_checked(pbf);
    CHECK(bf_checked(pbf));
    cache_release(pbf);
    CHECK_ERR(cache_read(pc, 1, 9, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK(!bf_checked(pbf));
    cache_release(pbf);

    /* Read from disk: unmarked.  Marked under a shared latch: seen by the
     * next shared holders, kept across shared releases. */
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK(!bf_checked(pbf));
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf2), JET_errSuccess);
    bf_set_checked(pbf);
    CHECK(bf_checked(pbf2));
    cache_release(pbf);
    cache_release(pbf2);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK(bf_checked(pbf));
    cache_release(pbf);

    /* An exclusive holder sees the mark, but releasing clears it: it may
     * have changed the bytes. */
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    CHECK(bf_checked(pbf));
    fill(bf_data(pbf), 4096, 1, 3);
    cache_dirty_unlogged(pbf);
    cache_release(pbf);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK(!bf_checked(pbf));
    bf_set_checked(pbf);
    cache_release(pbf);

    /* Evicted (4 frames, 8 other pages read) and read again: unmarked. */
    CHECK_ERR(cache_read(pc, 1, 2, LATCH_SHARED, &pbf), JET_errSuccess);
    bf_set_checked(pbf);
    cache_release(pbf);
    for (int round = 0; round < 2; round++) {
        for (uint32_t pgno = 3; pgno <= 8; pgno++) {
            CHECK_ERR(cache_read(pc, 1, pgno, LATCH_SHARED, &pbf), JET_errSuccess);
            cache_release(pbf);
        }
    }
    CHECK_ERR(cache_read(pc, 1, 2, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK(!bf_checked(pbf));
    bf_set_checked(pbf);
    cache_release(pbf);

    /* Closed and reopened: unmarked. */
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 2, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK(!bf_checked(pbf));
    cache_release(pbf);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errSuccess);
    cache_destroy(pc);
}

/* ---- checksums and page states -------------------------------------------------- */

TEST(checksum_detects_flipped_byte)
{
    const char *path = test_path("checksum_detects_flipped_byte", "db.edb");
    cache *pc = NULL;
    CHECK_ERR(cache_create(8192, 8, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= 6; pgno++)
        CHECK_ERR(put_page(pc, 1, pgno, 1, LSN_NIL), JET_errSuccess);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);

    uint8_t b;
    CHECK_ERR(raw_io(path, 4ull * 8192 + 1000, &b, 1, 0), JET_errSuccess);
    b ^= 0x10;
    CHECK_ERR(raw_io(path, 4ull * 8192 + 1000, &b, 1, 1), JET_errSuccess);
    /* A page written where another belongs: its crc is seeded with its own
     * pgno and its pgno field differs. */
    uint8_t *raw = os_malloc(8192);
    CHECK(raw != NULL);
    CHECK_ERR(raw_io(path, 3ull * 8192, raw, 8192, 0), JET_errSuccess); /* page 2 */
    CHECK_ERR(raw_io(path, 6ull * 8192, raw, 8192, 1), JET_errSuccess); /* at page 5 */
    /* Page 6: its own image with a bit flipped in the pgno field. */
    CHECK_ERR(raw_io(path, 7ull * 8192, raw, 8192, 0), JET_errSuccess);
    raw[PAGE_OFF_PGNO] ^= 0x01;
    CHECK_ERR(raw_io(path, 7ull * 8192, raw, 8192, 1), JET_errSuccess);
    os_free(raw);

    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    bf *pbf = NULL;
    CHECK_ERR(cache_read(pc, 1, 3, LATCH_SHARED, &pbf), JET_errReadVerifyFailure);
    CHECK_ERR(cache_read(pc, 1, 3, LATCH_EXCLUSIVE, &pbf), JET_errReadVerifyFailure);
    CHECK_ERR(cache_read(pc, 1, 5, LATCH_SHARED, &pbf), JET_errReadVerifyFailure);
    CHECK_ERR(cache_read(pc, 1, 6, LATCH_SHARED, &pbf), JET_errReadVerifyFailure);
    CHECK_ERR(get_page(pc, 1, 2, 1), 1);
    CHECK_ERR(get_page(pc, 1, 4, 1), 1);
    CHECK(stat_latched(pc) == 0);
    /* A corrupt page can be replaced (redo of a page image). */
    CHECK_ERR(put_page(pc, 1, 3, 9, LSN_NIL), JET_errSuccess);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    CHECK_ERR(get_page(pc, 1, 3, 9), 1);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errSuccess);
    cache_destroy(pc);
}

TEST(uninitialized_and_beyond_eof)
{
    const char *path = test_path("uninitialized_and_beyond_eof", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL;
    uint32_t cpg = 0;
    CHECK_ERR(cache_create(4096, 4, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errFileIOBeyondEOF);
    CHECK_ERR(cache_extend_file(pc, 1, 10), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 7, LATCH_SHARED, &pbf), JET_errPageNotInitialized);
    CHECK_ERR(cache_read(pc, 1, 10, LATCH_EXCLUSIVE, &pbf), JET_errPageNotInitialized);
    CHECK_ERR(cache_read(pc, 1, 11, LATCH_SHARED, &pbf), JET_errFileIOBeyondEOF);
    CHECK_ERR(cache_read(pc, 1, 0, LATCH_SHARED, &pbf), JET_errInvalidParameter);
    /* Failed reads do not hold frames. */
    CHECK(stat_latched(pc) == 0);
    for (int i = 0; i < 10; i++)
        CHECK_ERR(cache_read(pc, 1, 7, LATCH_SHARED, &pbf), JET_errPageNotInitialized);
    /* cache_new beyond EOF is allowed; writing it extends the file. */
    CHECK_ERR(put_page(pc, 1, 50, 3, LSN_NIL), JET_errSuccess);
    CHECK_ERR(cache_file_pages(pc, 1, &cpg), JET_errSuccess);
    CHECK(cpg == 10);
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
    CHECK_ERR(cache_file_pages(pc, 1, &cpg), JET_errSuccess);
    CHECK(cpg == 50);
    CHECK_ERR(cache_read(pc, 1, 30, LATCH_SHARED, &pbf), JET_errPageNotInitialized);
    /* Extending never shrinks nor overwrites. */
    CHECK_ERR(cache_extend_file(pc, 1, 20), JET_errSuccess);
    CHECK_ERR(cache_file_pages(pc, 1, &cpg), JET_errSuccess);
    CHECK(cpg == 50);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    CHECK_ERR(get_page(pc, 1, 50, 3), 1);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

/* ---- the write-ahead rule --------------------------------------------------------- */

typedef struct wal_rec {
    const char *path;
    uint32_t    cbPage;
    int         ccall;
    lsn_t       rglsn[64];
    int         rgfOnDisk[64]; /* was the page with that lsn already in the file? */
    JET_ERR     errReturn;
} wal_rec;

/* Record the call and whether any page in the file already carries lsn. */
static JET_ERR wal_record(void *ctx, uint32_t dbid, lsn_t lsn)
{
    (void)dbid;
    wal_rec *pw = ctx;
    uint8_t *raw = os_malloc(pw->cbPage);
    int fOnDisk = 0;
    if (raw == NULL)
        return JET_errOutOfMemory;
    for (uint32_t pgno = 1; pgno <= 8; pgno++) {
        if (raw_io(pw->path, ((uint64_t)pgno + 1) * pw->cbPage, raw, pw->cbPage, 0) >= 0 &&
            le_get64(raw + PAGE_OFF_LSN) == lsn)
            fOnDisk = 1;
    }
    os_free(raw);
    if (pw->ccall < 64) {
        pw->rglsn[pw->ccall] = lsn;
        pw->rgfOnDisk[pw->ccall] = fOnDisk;
    }
    pw->ccall++;
    return pw->errReturn;
}

static int wal_called_with(const wal_rec *pw, lsn_t lsn)
{
    for (int i = 0; i < pw->ccall && i < 64; i++) {
        if (pw->rglsn[i] == lsn)
            return 1;
    }
    return 0;
}

TEST(wal_rule)
{
    const char *path = test_path("wal_rule", "db.edb");
    wal_rec w;
    memset(&w, 0, sizeof w);
    w.path = path;
    w.cbPage = 4096;
    cache *pc = NULL;
    CHECK_ERR(cache_create(4096, 16, &pc), JET_errSuccess);
    cache_set_wal(pc, wal_record, &w);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(cache_extend_file(pc, 1, 8), JET_errSuccess);

    CHECK_ERR(put_page(pc, 1, 1, 1, LSN_MAKE(1, 1, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 2, 1, LSN_MAKE(1, 2, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 3, 1, LSN_NIL), JET_errSuccess); /* unlogged: no wal call */
    CHECK(w.ccall == 0);
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
    /* pages 1-3 are one run (W1): one wal call, for the newest lsn */
    CHECK(w.ccall == 1);
    CHECK(wal_called_with(&w, LSN_MAKE(1, 2, 0)));
    CHECK(!w.rgfOnDisk[0]); /* C1: wal before the write */
    CHECK_ERR(get_page(pc, 1, 3, 1), 1);

    /* A page changed twice: wal gets the last lsn. */
    bf *pbf = NULL;
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    fill(bf_data(pbf), 4096, 1, 2);
    cache_dirty(pbf, LSN_MAKE(1, 5, 0));
    cache_dirty(pbf, LSN_MAKE(1, 6, 0));
    cache_release(pbf);

    /* wal fails: nothing is written, the page stays dirty. */
    w.ccall = 0;
    w.errReturn = JET_errLogWriteFail;
    CHECK_ERR(cache_flush(pc, 1), JET_errLogWriteFail);
    CHECK(w.ccall == 1 && w.rglsn[0] == LSN_MAKE(1, 6, 0));
    CHECK(stat_dirty(pc) == 1);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_MAKE(1, 5, 0));
    uint8_t *raw = os_malloc(4096);
    CHECK(raw != NULL);
    CHECK_ERR(raw_io(path, 2 * 4096, raw, 4096, 0), JET_errSuccess);
    CHECK(check_fill(raw, 4096, 1, 1) && le_get64(raw + PAGE_OFF_LSN) == LSN_MAKE(1, 1, 0));
    /* Closing with flush fails the same way and keeps the file open. */
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errLogWriteFail);
    CHECK(cache_file(pc, 1) != NULL);

    w.errReturn = JET_errSuccess;
    w.ccall = 0;
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
    CHECK(w.ccall == 1 && !w.rgfOnDisk[0]);
    CHECK_ERR(raw_io(path, 2 * 4096, raw, 4096, 0), JET_errSuccess);
    CHECK(check_fill(raw, 4096, 1, 2) && le_get64(raw + PAGE_OFF_LSN) == LSN_MAKE(1, 6, 0));
    os_free(raw);
    CHECK(stat_dirty(pc) == 0 && cache_oldest_rec_lsn(pc) == LSN_NIL);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

/* W1: write-back writes consecutive dirty pages of a file as runs in page
 * order, with one wal call per run for the newest lsn of the run, whatever
 * order the frames were dirtied in; a gap in the page numbers ends a run. */
TEST(flush_writes_runs_in_page_order)
{
    const char *path = test_path("flush_runs", "db.edb");
    wal_rec w;
    memset(&w, 0, sizeof w);
    w.path = path;
    w.cbPage = 4096;
    cache *pc = NULL;
    CHECK_ERR(cache_create(4096, 16, &pc), JET_errSuccess);
    cache_set_wal(pc, wal_record, &w);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(cache_extend_file(pc, 1, 8), JET_errSuccess);
    /* frames in the order 4, 2, 3, 7, 1: runs 1-4 and 7 */
    CHECK_ERR(put_page(pc, 1, 4, 3, LSN_MAKE(1, 1, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 2, 3, LSN_MAKE(1, 4, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 3, 3, LSN_MAKE(1, 2, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 7, 3, LSN_MAKE(1, 5, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 1, 3, LSN_MAKE(1, 3, 0)), JET_errSuccess);
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
    CHECK(w.ccall == 2);
    CHECK(w.rglsn[0] == LSN_MAKE(1, 4, 0) && w.rglsn[1] == LSN_MAKE(1, 5, 0));
    CHECK(!w.rgfOnDisk[0] && !w.rgfOnDisk[1]); /* C1: wal before each run's write */
    CHECK(stat_dirty(pc) == 0 && cache_oldest_rec_lsn(pc) == LSN_NIL);
    uint8_t *raw = os_malloc(4096);
    CHECK(raw != NULL);
    for (uint32_t pgno = 1; pgno <= 7; pgno++) {
        if (pgno == 5 || pgno == 6)
            continue;
        CHECK_ERR(raw_io(path, ((uint64_t)pgno + 1) * 4096, raw, 4096, 0), JET_errSuccess);
        CHECK(check_fill(raw, 4096, pgno, 3));
        CHECK(cache_page_verify(raw, 4096, pgno) == JET_errSuccess); /* sealed: crc and pgno */
    }
    os_free(raw);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

TEST(wal_rule_on_eviction)
{
    const char *path = test_path("wal_rule_on_eviction", "db.edb");
    wal_rec w;
    memset(&w, 0, sizeof w);
    w.path = path;
    w.cbPage = 4096;
    cache *pc = NULL;
    bf *pbf = NULL;
    CHECK_ERR(cache_create(4096, 2, &pc), JET_errSuccess);
    cache_set_wal(pc, wal_record, &w);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(cache_extend_file(pc, 1, 8), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= 6; pgno++)
        CHECK_ERR(put_page(pc, 1, pgno, 4, LSN_MAKE(2, pgno, 0)), JET_errSuccess);
    /* Pages 1..4 had to leave the 2 frames: each after its wal call. */
    CHECK(w.ccall == 4);
    for (int i = 0; i < w.ccall; i++)
        CHECK(!w.rgfOnDisk[i]);
    for (uint32_t pgno = 1; pgno <= 4; pgno++)
        CHECK(wal_called_with(&w, LSN_MAKE(2, pgno, 0)));
    /* A failing wal makes the eviction (and so the read) fail. */
    w.errReturn = JET_errLogWriteFail;
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errLogWriteFail);
    w.errReturn = JET_errSuccess;
    CHECK_ERR(get_page(pc, 1, 1, 4), 1);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

/* ---- bounded memory, out of buffers -------------------------------------------- */

TEST(bounded_memory)
{
    const char *path = test_path("bounded_memory", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL;
    const uint32_t cpg = 5000;
    CHECK_ERR(cache_create(4096, 16, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK(stat_frames(pc) == 0); /* lazily allocated */
    for (uint32_t pgno = 1; pgno <= cpg; pgno++) {
        CHECK_ERR(put_page(pc, 1, pgno, 0, pgno % 3 ? LSN_MAKE(1, pgno % 60000, 0) : LSN_NIL), JET_errSuccess);
        CHECK(stat_frames(pc) <= 16);
    }
    CHECK(stat_frames(pc) == 16);
    /* Update every third page in place (read exclusive, change, dirty). */
    for (uint32_t pgno = 3; pgno <= cpg; pgno += 3) {
        CHECK_ERR(cache_read(pc, 1, pgno, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
        fill(bf_data(pbf), 4096, pgno, 1);
        cache_dirty_unlogged(pbf);
        cache_release(pbf);
    }
    CHECK(stat_frames(pc) == 16);
    /* Read everything back in a scattered order. */
    for (uint32_t i = 0; i < cpg; i++) {
        uint32_t pgno = (uint32_t)((i * 2654435761u) % cpg) + 1;
        CHECK_ERR(get_page(pc, 1, pgno, pgno % 3 == 0 ? 1 : 0), 1);
    }
    CHECK(stat_frames(pc) == 16);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= cpg; pgno += 97)
        CHECK_ERR(get_page(pc, 1, pgno, pgno % 3 == 0 ? 1 : 0), 1);
    CHECK(stat_frames(pc) == 16);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errSuccess);
    cache_destroy(pc);
}

TEST(out_of_buffers)
{
    const char *path = test_path("out_of_buffers", "db.edb");
    cache *pc = NULL;
    bf *rgpbf[4] = { 0 };
    bf *pbf = NULL;
    CHECK_ERR(cache_create(4096, 4, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= 4; pgno++)
        CHECK_ERR(put_page(pc, 1, pgno, 0, LSN_NIL), JET_errSuccess);
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &rgpbf[0]), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 2, LATCH_EXCLUSIVE, &rgpbf[1]), JET_errSuccess);
    CHECK_ERR(cache_new(pc, 1, 5, &rgpbf[2]), JET_errSuccess);
    CHECK_ERR(cache_new(pc, 1, 6, &rgpbf[3]), JET_errSuccess);
    CHECK(stat_latched(pc) == 4);
    CHECK_ERR(cache_read(pc, 1, 3, LATCH_SHARED, &pbf), JET_errOutOfBuffers);
    CHECK_ERR(cache_new(pc, 1, 7, &pbf), JET_errOutOfBuffers);
    /* A page already latched shared can be latched shared again. */
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errSuccess);
    cache_release(pbf);
    CHECK(stat_frames(pc) == 4);
    cache_release(rgpbf[1]);
    CHECK_ERR(get_page(pc, 1, 3, 0), 1);
    cache_release(rgpbf[0]);
    cache_release(rgpbf[2]);
    cache_release(rgpbf[3]);
    CHECK(stat_latched(pc) == 0);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

/* ---- latches and threads ------------------------------------------------------------ */

typedef struct latch_arg {
    cache      *pc;
    atomic_int  fGot;
} latch_arg;

static void *thread_latch_shared(void *pv)
{
    latch_arg *pa = pv;
    bf *pbf = NULL;
    if (cache_read(pa->pc, 1, 1, LATCH_SHARED, &pbf) >= 0) {
        atomic_store(&pa->fGot, 1);
        cache_release(pbf);
    } else {
        atomic_store(&pa->fGot, -1);
    }
    return NULL;
}

TEST(exclusive_latch_blocks)
{
    const char *path = test_path("exclusive_latch_blocks", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL;
    pthread_t th;
    latch_arg a;
    CHECK_ERR(cache_create(4096, 4, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 1, 0, LSN_NIL), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    a.pc = pc;
    atomic_init(&a.fGot, 0);
    CHECK(pthread_create(&th, NULL, thread_latch_shared, &a) == 0);
    sleep_ms(100);
    int fGotEarly = atomic_load(&a.fGot);
    fill(bf_data(pbf), 4096, 1, 8);
    cache_dirty_unlogged(pbf);
    cache_release(pbf);
    pthread_join(th, NULL);
    CHECK(fGotEarly == 0);
    CHECK(atomic_load(&a.fGot) == 1);
    CHECK_ERR(get_page(pc, 1, 1, 8), 1);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

#define CONC_THREADS 8
#ifndef CONC_PAGES /* -D overrides for stress runs */
#define CONC_PAGES   24
#endif
#ifndef CONC_OPS
#define CONC_OPS     3000
#endif
#ifndef CONC_FRAMES
#define CONC_FRAMES  16
#endif
#define OFF_A        PAGE_HEADER_SIZE
#define OFF_B        (PAGE_HEADER_SIZE + 4)

typedef struct conc_ctx {
    cache           *pc;
    _Atomic uint64_t lsnNext;
    _Atomic uint64_t lsnMaxWal;
    atomic_int       cerr;
    atomic_int       cincr;
    atomic_int       cflush;
    pthread_barrier_t barrier;
} conc_ctx;

typedef struct conc_arg {
    conc_ctx *pctx;
    int       ithread;
} conc_arg;

static JET_ERR wal_conc(void *ctx, uint32_t dbid, lsn_t lsn)
{
    (void)dbid;
    conc_ctx *p = ctx;
    /* A wal request is for an lsn that was handed out. */
    if (lsn == LSN_NIL || lsn >= atomic_load(&p->lsnNext))
        atomic_fetch_add(&p->cerr, 1);
    uint64_t m = atomic_load(&p->lsnMaxWal);
    while (lsn > m && !atomic_compare_exchange_weak(&p->lsnMaxWal, &m, lsn)) {
    }
    return JET_errSuccess;
}

static void *thread_conc(void *pv)
{
    conc_arg *pa = pv;
    conc_ctx *p = pa->pctx;
    uint32_t rnd = 0x12345u + (uint32_t)pa->ithread * 7919u;
    pthread_barrier_wait(&p->barrier);
    for (int op = 0; op < CONC_OPS; op++) {
        rnd = rnd * 1103515245u + 12345u;
        uint32_t pgno = (rnd >> 8) % CONC_PAGES + 1;
        int fWrite = ((rnd >> 20) % 3) == 0;
        bf *pbf = NULL;
        JET_ERR err = cache_read(p->pc, 1, pgno, fWrite ? LATCH_EXCLUSIVE : LATCH_SHARED, &pbf);
        if (err < 0) {
            atomic_fetch_add(&p->cerr, 1);
            continue;
        }
        uint8_t *pb = bf_data(pbf);
        if (le_get32(pb + OFF_A) != le_get32(pb + OFF_B) || bf_pgno(pbf) != pgno)
            atomic_fetch_add(&p->cerr, 1);
        if (fWrite) {
            le_put32(pb + OFF_A, le_get32(pb + OFF_A) + 1);
            le_put32(pb + OFF_B, le_get32(pb + OFF_B) + 1);
            lsn_t lsn = atomic_fetch_add(&p->lsnNext, 1);
            if (op % 5 == 0)
                cache_dirty_unlogged(pbf);
            else
                cache_dirty(pbf, lsn);
            atomic_fetch_add(&p->cincr, 1);
        }
        cache_release(pbf);
        if (op % 500 == 250) {
            err = pa->ithread % 2 ? cache_flush(p->pc, 0)
                                  : cache_flush_older(p->pc, atomic_load(&p->lsnNext) - 100);
            if (err < 0)
                atomic_fetch_add(&p->cerr, 1);
            atomic_fetch_add(&p->cflush, 1);
        }
    }
    return NULL;
}

TEST(concurrent_readers_writers)
{
    const char *path = test_path("concurrent_readers_writers", "db.edb");
    conc_ctx ctx;
    conc_arg rgarg[CONC_THREADS];
    pthread_t rgth[CONC_THREADS];
    memset(&ctx, 0, sizeof ctx);
    atomic_init(&ctx.lsnNext, LSN_MAKE(1, 1, 0));
    atomic_init(&ctx.lsnMaxWal, 0);
    atomic_init(&ctx.cerr, 0);
    atomic_init(&ctx.cincr, 0);
    atomic_init(&ctx.cflush, 0);
    CHECK_ERR(cache_create(4096, CONC_FRAMES, &ctx.pc), JET_errSuccess);
    cache_set_wal(ctx.pc, wal_conc, &ctx);
    CHECK_ERR(open_db(ctx.pc, 1, path, 1), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= CONC_PAGES; pgno++)
        CHECK_ERR(put_page(ctx.pc, 1, pgno, 0, LSN_NIL), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= CONC_PAGES; pgno++) {
        bf *pbf = NULL;
        CHECK_ERR(cache_read(ctx.pc, 1, pgno, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
        le_put32(bf_data(pbf) + OFF_A, 0);
        le_put32(bf_data(pbf) + OFF_B, 0);
        cache_dirty_unlogged(pbf);
        cache_release(pbf);
    }
    CHECK(pthread_barrier_init(&ctx.barrier, NULL, CONC_THREADS) == 0);
    for (int i = 0; i < CONC_THREADS; i++) {
        rgarg[i].pctx = &ctx;
        rgarg[i].ithread = i;
        CHECK(pthread_create(&rgth[i], NULL, thread_conc, &rgarg[i]) == 0);
    }
    for (int i = 0; i < CONC_THREADS; i++)
        pthread_join(rgth[i], NULL);
    pthread_barrier_destroy(&ctx.barrier);
    CHECK(atomic_load(&ctx.cerr) == 0);
    CHECK(stat_frames(ctx.pc) <= CONC_FRAMES && stat_latched(ctx.pc) == 0);
    cache_stats st;
    cache_get_stats(ctx.pc, &st);
    if (getenv("CACHE_TEST_VERBOSE"))
        fprintf(stderr, "concurrent: %d increments, %llu reads, %llu writes, %llu evictions\n",
                atomic_load(&ctx.cincr), (unsigned long long)st.creads, (unsigned long long)st.cwrites,
                (unsigned long long)st.cevictions);

    uint64_t sum = 0;
    for (uint32_t pgno = 1; pgno <= CONC_PAGES; pgno++) {
        bf *pbf = NULL;
        CHECK_ERR(cache_read(ctx.pc, 1, pgno, LATCH_SHARED, &pbf), JET_errSuccess);
        sum += le_get32(bf_data(pbf) + OFF_A);
        CHECK(le_get32(bf_data(pbf) + OFF_A) == le_get32(bf_data(pbf) + OFF_B));
        cache_release(pbf);
    }
    CHECK(sum == (uint64_t)atomic_load(&ctx.cincr));
    CHECK_ERR(cache_close_file(ctx.pc, 1, 1), JET_errSuccess);
    /* And the file holds the same. */
    CHECK_ERR(open_db(ctx.pc, 1, path, 0), JET_errSuccess);
    uint64_t sumDisk = 0;
    for (uint32_t pgno = 1; pgno <= CONC_PAGES; pgno++) {
        bf *pbf = NULL;
        CHECK_ERR(cache_read(ctx.pc, 1, pgno, LATCH_SHARED, &pbf), JET_errSuccess);
        sumDisk += le_get32(bf_data(pbf) + OFF_A);
        cache_release(pbf);
    }
    CHECK(sumDisk == sum);
    CHECK_ERR(cache_close_file(ctx.pc, 1, 0), JET_errSuccess);
    cache_destroy(ctx.pc);
}

typedef struct miss_ctx {
    cache            *pc;
    atomic_int        cerr;
    pthread_barrier_t barrier;
} miss_ctx;

static void *thread_miss(void *pv)
{
    miss_ctx *p = pv;
    pthread_barrier_wait(&p->barrier);
    for (uint32_t pgno = 1; pgno <= 4; pgno++) {
        if (get_page(p->pc, 1, pgno, 2) != 1)
            atomic_fetch_add(&p->cerr, 1);
    }
    return NULL;
}

TEST(concurrent_misses_read_once)
{
    const char *path = test_path("concurrent_misses_read_once", "db.edb");
    miss_ctx ctx;
    pthread_t rgth[CONC_THREADS];
    cache_stats st;
    memset(&ctx, 0, sizeof ctx);
    atomic_init(&ctx.cerr, 0);
    CHECK_ERR(cache_create(4096, 64, &ctx.pc), JET_errSuccess);
    CHECK_ERR(open_db(ctx.pc, 1, path, 1), JET_errSuccess);
    for (uint32_t pgno = 1; pgno <= 4; pgno++)
        CHECK_ERR(put_page(ctx.pc, 1, pgno, 2, LSN_NIL), JET_errSuccess);
    CHECK_ERR(cache_close_file(ctx.pc, 1, 1), JET_errSuccess);
    CHECK_ERR(open_db(ctx.pc, 1, path, 0), JET_errSuccess);
    cache_get_stats(ctx.pc, &st);
    uint64_t creads0 = st.creads;
    CHECK(pthread_barrier_init(&ctx.barrier, NULL, CONC_THREADS) == 0);
    for (int i = 0; i < CONC_THREADS; i++)
        CHECK(pthread_create(&rgth[i], NULL, thread_miss, &ctx) == 0);
    for (int i = 0; i < CONC_THREADS; i++)
        pthread_join(rgth[i], NULL);
    pthread_barrier_destroy(&ctx.barrier);
    CHECK(atomic_load(&ctx.cerr) == 0);
    cache_get_stats(ctx.pc, &st);
    CHECK(st.creads - creads0 == 4); /* each page read once */
    CHECK(st.clatched == 0);
    CHECK_ERR(cache_close_file(ctx.pc, 1, 0), JET_errSuccess);
    cache_destroy(ctx.pc);
}

/* ---- dirty page table, checkpoint support ------------------------------------------- */

TEST(recovery_lsn_and_flush_older)
{
    const char *path = test_path("recovery_lsn_and_flush_older", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL;
    CHECK_ERR(cache_create(4096, 16, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_NIL);
    CHECK_ERR(put_page(pc, 1, 1, 0, LSN_MAKE(1, 10, 0)), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    cache_dirty(pbf, LSN_MAKE(1, 20, 0));
    CHECK(bf_lsn(pbf) == LSN_MAKE(1, 20, 0));
    cache_release(pbf);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_MAKE(1, 10, 0)); /* C4: the first change */
    CHECK_ERR(put_page(pc, 1, 2, 0, LSN_MAKE(1, 15, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 3, 0, LSN_NIL), JET_errSuccess);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_MAKE(1, 10, 0));
    CHECK(stat_dirty(pc) == 3);

    CHECK_ERR(cache_flush_older(pc, LSN_MAKE(1, 10, 0)), JET_errSuccess); /* strictly below */
    CHECK(stat_dirty(pc) == 3);
    CHECK_ERR(cache_flush_older(pc, LSN_MAKE(1, 12, 0)), JET_errSuccess);
    CHECK(stat_dirty(pc) == 2);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_MAKE(1, 15, 0));
    /* Dirty again after being clean: a new recovery lsn. */
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    cache_dirty(pbf, LSN_MAKE(1, 30, 0));
    cache_release(pbf);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_MAKE(1, 15, 0));
    CHECK_ERR(cache_flush_older(pc, LSN_MAKE(1, 25, 0)), JET_errSuccess);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_MAKE(1, 30, 0));
    /* Unlogged changes carry no recovery lsn: flush_older leaves them. */
    CHECK_ERR(cache_flush_older(pc, LSN_MAKE(9, 0, 0)), JET_errSuccess);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_NIL);
    CHECK(stat_dirty(pc) == 1);
    /* An unlogged page later changed with logging gets a recovery lsn. */
    CHECK_ERR(cache_read(pc, 1, 3, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    cache_dirty(pbf, LSN_MAKE(1, 40, 0));
    cache_release(pbf);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_MAKE(1, 40, 0));
    CHECK_ERR(cache_flush(pc, 0), JET_errSuccess);
    CHECK(stat_dirty(pc) == 0 && cache_oldest_rec_lsn(pc) == LSN_NIL);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

TEST(two_files)
{
    const char *path = test_path("two_files", "a.edb");
    char pathB[1300];
    snprintf(pathB, sizeof pathB, "%s/b.edb", g_dir);
    cache *pc = NULL;
    CHECK_ERR(cache_create(4096, 8, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(open_db(pc, 2, pathB, 1), JET_errSuccess);
    os_file *pf = cache_file(pc, 1);
    CHECK_ERR(cache_open_file(pc, 1, pf), JET_errDatabaseInUse);
    for (uint32_t pgno = 1; pgno <= 10; pgno++) {
        CHECK_ERR(put_page(pc, 1, pgno, 1, LSN_MAKE(1, pgno, 0)), JET_errSuccess);
        CHECK_ERR(put_page(pc, 2, pgno, 2, LSN_MAKE(1, pgno, 2)), JET_errSuccess);
    }
    CHECK_ERR(cache_flush(pc, 2), JET_errSuccess);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errSuccess); /* unflushed pages of 1 lost */
    CHECK_ERR(get_page(pc, 2, 10, 2), 1);
    CHECK_ERR(get_page(pc, 2, 1, 2), 1);
    CHECK_ERR(cache_close_file(pc, 2, 1), JET_errSuccess);
    CHECK_ERR(cache_close_file(pc, 2, 1), JET_errInvalidDatabaseId);
    cache_destroy(pc);
}

/* ---- crash simulation, I/O errors ------------------------------------------------- */

TEST(close_without_flush_loses_changes)
{
    const char *path = test_path("close_without_flush_loses_changes", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL;
    CHECK_ERR(cache_create(4096, 8, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 1, 1, LSN_MAKE(1, 1, 0)), JET_errSuccess);
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    fill(bf_data(pbf), 4096, 1, 2);
    cache_dirty(pbf, LSN_MAKE(1, 2, 0));
    cache_release(pbf);
    CHECK_ERR(put_page(pc, 1, 2, 2, LSN_MAKE(1, 3, 0)), JET_errSuccess);
    /* Holding a latch: the file cannot be closed. */
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errSuccess);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errDatabaseInUse);
    cache_release(pbf);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errSuccess);
    CHECK(stat_dirty(pc) == 0 && stat_latched(pc) == 0);
    CHECK(cache_oldest_rec_lsn(pc) == LSN_NIL);
    CHECK_ERR(cache_read(pc, 1, 1, LATCH_SHARED, &pbf), JET_errInvalidDatabaseId);
    /* Reopened in the same cache: the old image, not a stale frame. */
    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    CHECK_ERR(get_page(pc, 1, 1, 1), 1);
    CHECK_ERR(cache_read(pc, 1, 2, LATCH_SHARED, &pbf), JET_errFileIOBeyondEOF);
    /* The frames were released: all of them can be used again. */
    bf *rgpbf[8];
    for (uint32_t i = 0; i < 8; i++)
        CHECK_ERR(cache_new(pc, 1, 10 + i, &rgpbf[i]), JET_errSuccess);
    CHECK(stat_latched(pc) == 8 && stat_frames(pc) == 8);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errDatabaseInUse);
    for (uint32_t i = 0; i < 8; i++)
        cache_release(rgpbf[i]);
    CHECK_ERR(cache_close_file(pc, 1, 0), JET_errSuccess);
    cache_destroy(pc);
}

TEST(io_errors)
{
    const char *path = test_path("io_errors", "db.edb");
    cache *pc = NULL;
    bf *pbf = NULL;
    CHECK_ERR(cache_create(4096, 8, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 1), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 1, 1, LSN_MAKE(1, 1, 0)), JET_errSuccess);
    CHECK_ERR(put_page(pc, 1, 2, 1, LSN_MAKE(1, 2, 0)), JET_errSuccess);

    os_fault_io(OS_FAULT_WRITE, 1, 0, JET_errDiskIO);
    JET_ERR err = cache_flush(pc, 1);
    os_fault_io(OS_FAULT_WRITE, 0, 0, 0);
    CHECK_ERR(err, JET_errDiskIO);
    CHECK(stat_dirty(pc) >= 1);
    CHECK(cache_oldest_rec_lsn(pc) != LSN_NIL);
    CHECK_ERR(cache_flush(pc, 1), JET_errSuccess);
    CHECK(stat_dirty(pc) == 0);

    /* A failing fdatasync fails the flush. */
    CHECK_ERR(put_page(pc, 1, 3, 1, LSN_MAKE(1, 3, 0)), JET_errSuccess);
    os_fault_io(OS_FAULT_SYNC, 1, 0, JET_errDiskFull);
    err = cache_flush(pc, 0);
    os_fault_io(OS_FAULT_SYNC, 0, 0, 0);
    CHECK_ERR(err, JET_errDiskFull);
    CHECK_ERR(cache_flush(pc, 0), JET_errSuccess);

    /* A persistent write fault: close with flush fails and keeps the file. */
    CHECK_ERR(put_page(pc, 1, 4, 1, LSN_MAKE(1, 4, 0)), JET_errSuccess);
    os_fault_io(OS_FAULT_WRITE, 1, 1, JET_errDiskIO);
    err = cache_close_file(pc, 1, 1);
    JET_ERR err2 = cache_flush(pc, 1);
    os_fault_io(OS_FAULT_WRITE, 0, 0, 0);
    CHECK_ERR(err, JET_errDiskIO);
    CHECK_ERR(err2, JET_errDiskIO);
    CHECK(cache_file(pc, 1) != NULL);
    CHECK_ERR(get_page(pc, 1, 4, 1), 1);

    /* Read errors are returned and hold no frame. */
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    os_fault_io(OS_FAULT_READ, 1, 0, JET_errDiskIO);
    err = cache_read(pc, 1, 2, LATCH_SHARED, &pbf);
    os_fault_io(OS_FAULT_READ, 0, 0, 0);
    CHECK_ERR(err, JET_errDiskIO);
    CHECK(stat_latched(pc) == 0);
    for (uint32_t pgno = 1; pgno <= 4; pgno++)
        CHECK_ERR(get_page(pc, 1, pgno, 1), 1);

    /* Allocation failure while growing the cache. */
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
    CHECK_ERR(cache_create(4096, 8, &pc), JET_errSuccess);
    CHECK_ERR(open_db(pc, 1, path, 0), JET_errSuccess);
    os_fault_alloc(1, 1);
    err = cache_read(pc, 1, 1, LATCH_SHARED, &pbf);
    os_fault_alloc(0, 0);
    CHECK_ERR(err, JET_errOutOfMemory);
    CHECK_ERR(get_page(pc, 1, 1, 1), 1);
    CHECK_ERR(cache_close_file(pc, 1, 1), JET_errSuccess);
    cache_destroy(pc);
}

/* ---- database header --------------------------------------------------------------- */

static void sample_header(db_header *ph, uint32_t cbPage, uint32_t salt)
{
    memset(ph, 0, sizeof *ph);
    ph->version = DB_FORMAT_VERSION;
    ph->cbPage = cbPage;
    ph->filetype = JET_filetypeDatabase;
    ph->signDb.ulRandom = 0xA1B2C3D4u + salt;
    ph->signDb.logtimeCreate.bSeconds = 5;
    ph->signDb.logtimeCreate.bYear = 125;
    ph->signDb.logtimeCreate.bMonth = 7;
    ph->signDb.logtimeCreate.bFiller1 = 3;
    strcpy(ph->signDb.szComputerName, "HOSTNAME");
    ph->dbstate = JET_dbstateDirtyShutdown;
    ph->signLog.ulRandom = 77 + salt;
    strcpy(ph->signLog.szComputerName, "LOGHOST12345678"); /* 15 chars + NUL */
    ph->lsnConsistent = LSN_MAKE(3, 4, 5);
    ph->tmConsistent.bHours = 11;
    ph->lsnAttach = LSN_MAKE(6, 7, 8);
    ph->tmAttach.bMinutes = 12;
    ph->lsnDetach = LSN_MAKE(9, 10, 11);
    ph->tmDetach.bDay = 13;
    ph->genMinRequired = 2;
    ph->genMaxRequired = 9;
    ph->genMaxCommitted = 8;
    ph->bkinfoFullPrev.lgposMark.lGeneration = 21;
    ph->bkinfoFullPrev.lgposMark.isec = 22;
    ph->bkinfoFullPrev.lgposMark.ib = 23;
    ph->bkinfoFullPrev.genLow = 1;
    ph->bkinfoFullPrev.genHigh = 20;
    ph->bkinfoFullPrev.logtimeMark.bSeconds = 44;
    ph->bkinfoIncPrev.genLow = 31;
    ph->bkinfoFullCur.genHigh = 41;
    ph->bkinfoCopyPrev.genLow = 51;
    ph->bkinfoDiffPrev.genHigh = 61;
    ph->dbid = 3;
    ph->flags = DB_FLAG_RECOVERY_OFF;
    ph->objidLast = 1000 + salt;
    ph->cpgOwned = 256;
    ph->pgnoSpace = 1;
    ph->pgnoCatalog = 4;
    ph->dbtime = 0x0102030405060708ull;
}

static int header_equal(const db_header *a, const db_header *b)
{
    return a->version == b->version && a->cbPage == b->cbPage && a->filetype == b->filetype &&
           memcmp(&a->signDb, &b->signDb, sizeof a->signDb) == 0 && a->dbstate == b->dbstate &&
           memcmp(&a->signLog, &b->signLog, sizeof a->signLog) == 0 &&
           a->lsnConsistent == b->lsnConsistent && memcmp(&a->tmConsistent, &b->tmConsistent, 8) == 0 &&
           a->lsnAttach == b->lsnAttach && memcmp(&a->tmAttach, &b->tmAttach, 8) == 0 &&
           a->lsnDetach == b->lsnDetach && memcmp(&a->tmDetach, &b->tmDetach, 8) == 0 &&
           a->genMinRequired == b->genMinRequired && a->genMaxRequired == b->genMaxRequired &&
           a->genMaxCommitted == b->genMaxCommitted &&
           memcmp(&a->bkinfoFullPrev, &b->bkinfoFullPrev, sizeof(JET_BKINFO)) == 0 &&
           memcmp(&a->bkinfoIncPrev, &b->bkinfoIncPrev, sizeof(JET_BKINFO)) == 0 &&
           memcmp(&a->bkinfoFullCur, &b->bkinfoFullCur, sizeof(JET_BKINFO)) == 0 &&
           memcmp(&a->bkinfoCopyPrev, &b->bkinfoCopyPrev, sizeof(JET_BKINFO)) == 0 &&
           memcmp(&a->bkinfoDiffPrev, &b->bkinfoDiffPrev, sizeof(JET_BKINFO)) == 0 &&
           a->dbid == b->dbid && a->flags == b->flags && a->objidLast == b->objidLast &&
           a->cpgOwned == b->cpgOwned && a->pgnoSpace == b->pgnoSpace &&
           a->pgnoCatalog == b->pgnoCatalog && a->dbtime == b->dbtime;
}

static JET_ERR write_header_file(const char *path, const db_header *ph)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(path, OS_FILE_TRUNCATE | OS_FILE_WRITE, &pf);
    if (err < 0)
        return err;
    err = db_header_write(pf, ph);
    os_file_close(pf);
    return err;
}

static JET_ERR flip_byte(const char *path, uint64_t off)
{
    uint8_t b = 0;
    JET_ERR err = raw_io(path, off, &b, 1, 0);
    if (err < 0)
        return err;
    b ^= 0x5a;
    return raw_io(path, off, &b, 1, 1);
}

TEST(header_roundtrip)
{
    static const uint32_t rgcb[] = { 4096, 8192, 16384, 32768 };
    for (size_t k = 0; k < 4; k++) {
        const char *path = test_path("header_roundtrip", "db.edb");
        db_header h, r;
        sample_header(&h, rgcb[k], (uint32_t)k);
        CHECK_ERR(write_header_file(path, &h), JET_errSuccess);
        CHECK_ERR(db_header_read_path(path, &r), JET_errSuccess);
        CHECK(header_equal(&h, &r));
        os_file *pf = NULL;
        CHECK_ERR(os_file_open(path, OS_FILE_READ, &pf), JET_errSuccess);
        memset(&r, 0, sizeof r);
        CHECK_ERR(db_header_read(pf, rgcb[k], &r), JET_errSuccess);
        CHECK(header_equal(&h, &r));
        uint64_t cb = 0;
        CHECK_ERR(os_file_size(pf, &cb), JET_errSuccess);
        CHECK(cb == 2ull * rgcb[k]);
        /* Fixed fields of the layout. */
        uint8_t raw[24];
        CHECK_ERR(os_file_read(pf, rgcb[k], raw, sizeof raw, NULL), JET_errSuccess); /* copy B */
        CHECK(le_get32(raw + 4) == DB_MAGIC && le_get32(raw + 8) == DB_FORMAT_VERSION);
        CHECK(le_get32(raw + 12) == rgcb[k] && le_get32(raw + 16) == JET_filetypeDatabase);
        CHECK_ERR(db_header_read(pf, rgcb[k] == 4096 ? 8192 : 4096, &r), JET_errPageSizeMismatch);
        os_file_close(pf);
        /* Copy A damaged (even its page size field): copy B is used. */
        CHECK_ERR(flip_byte(path, 13), JET_errSuccess);
        memset(&r, 0, sizeof r);
        CHECK_ERR(db_header_read_path(path, &r), JET_errSuccess);
        CHECK(header_equal(&h, &r));
        /* Both damaged. */
        CHECK_ERR(flip_byte(path, rgcb[k] + rgcb[k] - 1), JET_errSuccess);
        CHECK_ERR(db_header_read_path(path, &r), JET_errDatabaseCorrupted);
        /* Only B damaged: A. */
        CHECK_ERR(flip_byte(path, 13), JET_errSuccess);
        CHECK_ERR(db_header_read_path(path, &r), JET_errSuccess);
        CHECK(header_equal(&h, &r));
    }
}

TEST(header_copy_a_preferred)
{
    const char *path = test_path("header_copy_a_preferred", "a.edb");
    char pathB[1300];
    snprintf(pathB, sizeof pathB, "%s/b.edb", g_dir);
    db_header h1, h2, r;
    sample_header(&h1, 8192, 1);
    sample_header(&h2, 8192, 2);
    CHECK_ERR(write_header_file(path, &h1), JET_errSuccess);
    CHECK_ERR(write_header_file(pathB, &h2), JET_errSuccess);
    /* path: A from h2, B from h1. */
    uint8_t *raw = os_malloc(8192);
    CHECK(raw != NULL);
    CHECK_ERR(raw_io(pathB, 0, raw, 8192, 0), JET_errSuccess);
    CHECK_ERR(raw_io(path, 0, raw, 8192, 1), JET_errSuccess);
    os_free(raw);
    CHECK_ERR(db_header_read_path(path, &r), JET_errSuccess);
    CHECK(header_equal(&h2, &r));
    CHECK_ERR(flip_byte(path, 500), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errSuccess);
    CHECK(header_equal(&h1, &r));
}

TEST(header_torn_write)
{
    const char *path = test_path("header_torn_write", "db.edb");
    db_header h1, h2, r;
    os_file *pf = NULL;
    sample_header(&h1, 4096, 1);
    sample_header(&h2, 4096, 2);
    CHECK_ERR(write_header_file(path, &h1), JET_errSuccess);
    CHECK_ERR(os_file_open(path, OS_FILE_WRITE, &pf), JET_errSuccess);
    /* Copy B's write fails: A holds the new header. */
    os_fault_io(OS_FAULT_WRITE, 2, 0, JET_errDiskIO);
    JET_ERR err = db_header_write(pf, &h2);
    os_fault_io(OS_FAULT_WRITE, 0, 0, 0);
    CHECK_ERR(err, JET_errDiskIO);
    CHECK_ERR(db_header_read(pf, 4096, &r), JET_errSuccess);
    CHECK(header_equal(&h2, &r));
    /* Copy A torn (garbage), B old: B. */
    CHECK_ERR(db_header_write(pf, &h1), JET_errSuccess);
    os_fault_io(OS_FAULT_WRITE, 1, 0, JET_errDiskIO);
    err = db_header_write(pf, &h2);
    os_fault_io(OS_FAULT_WRITE, 0, 0, 0);
    CHECK_ERR(err, JET_errDiskIO);
    uint8_t junk[100];
    memset(junk, 0xEE, sizeof junk);
    CHECK_ERR(os_file_write(pf, 1000, junk, sizeof junk), JET_errSuccess);
    CHECK_ERR(db_header_read(pf, 0, &r), JET_errSuccess);
    CHECK(header_equal(&h1, &r));
    os_file_close(pf);
}

TEST(header_not_a_database)
{
    const char *path = test_path("header_not_a_database", "x.txt");
    db_header r, h;
    os_file *pf = NULL;
    CHECK_ERR(db_header_read_path(path, &r), JET_errFileNotFound);
    CHECK_ERR(os_file_open(path, OS_FILE_CREATE | OS_FILE_WRITE, &pf), JET_errSuccess);
    os_file_close(pf);
    CHECK_ERR(db_header_read_path(path, &r), JET_errFileInvalidType); /* empty */
    char text[9000];
    memset(text, 'z', sizeof text);
    CHECK_ERR(raw_io(path, 0, text, sizeof text, 1), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errFileInvalidType);
    /* Wrong version, wrong file type. */
    sample_header(&h, 4096, 0);
    h.version = DB_FORMAT_VERSION + 1;
    CHECK_ERR(write_header_file(path, &h), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errInvalidDatabaseVersion);
    /* F1: version 1 holds no incompatible feature; version 2 only known ones. */
    sample_header(&h, 4096, 0);
    h.version = 1;
    h.incompat = DB_INCOMPAT_RECORD_OVERFLOW;
    CHECK_ERR(write_header_file(path, &h), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errInvalidDatabaseVersion);
    sample_header(&h, 4096, 0);
    h.incompat = 0;
    db_header_set_incompat(&h, 0x80000000u); /* a bit no build knows */
    CHECK(h.version == DB_FORMAT_VERSION);
    CHECK_ERR(write_header_file(path, &h), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errInvalidDatabaseVersion);
    sample_header(&h, 4096, 0);
    h.version = 1;
    h.incompat = 0;
    CHECK_ERR(write_header_file(path, &h), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errSuccess);
    CHECK(r.version == 1 && r.incompat == 0);
    sample_header(&h, 4096, 0);
    h.filetype = JET_filetypeLog;
    CHECK_ERR(write_header_file(path, &h), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errFileInvalidType);
    h.filetype = JET_filetypeTempDatabase;
    CHECK_ERR(write_header_file(path, &h), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errSuccess);
    CHECK(r.filetype == JET_filetypeTempDatabase);
    /* A short file with only a damaged copy A. */
    CHECK_ERR(os_file_open(path, OS_FILE_WRITE, &pf), JET_errSuccess);
    CHECK_ERR(os_file_truncate(pf, 4096), JET_errSuccess);
    os_file_close(pf);
    CHECK_ERR(flip_byte(path, 2000), JET_errSuccess);
    CHECK_ERR(db_header_read_path(path, &r), JET_errDatabaseCorrupted);
    h.cbPage = 1234;
    CHECK_ERR(write_header_file(path, &h), JET_errInvalidParameter);
}

TEST(header_to_misc)
{
    db_header h;
    JET_DBINFOMISC m;
    sample_header(&h, 16384, 0);
    memset(&m, 0xCC, sizeof m);
    db_header_to_misc(&h, &m);
    CHECK(m.ulVersion == 0x620 && m.ulUpdate == DB_FORMAT_VERSION);
    CHECK(memcmp(&m.signDb, &h.signDb, sizeof m.signDb) == 0);
    CHECK(memcmp(&m.signLog, &h.signLog, sizeof m.signLog) == 0);
    CHECK(m.dbstate == JET_dbstateDirtyShutdown);
    CHECK(m.lgposConsistent.lGeneration == 3 && m.lgposConsistent.isec == 4 && m.lgposConsistent.ib == 5);
    CHECK(m.lgposAttach.lGeneration == 6 && m.lgposAttach.isec == 7 && m.lgposAttach.ib == 8);
    CHECK(m.lgposDetach.lGeneration == 9 && m.lgposDetach.isec == 10 && m.lgposDetach.ib == 11);
    CHECK(m.logtimeConsistent.bHours == 11 && m.logtimeAttach.bMinutes == 12 && m.logtimeDetach.bDay == 13);
    CHECK(memcmp(&m.bkinfoFullPrev, &h.bkinfoFullPrev, sizeof(JET_BKINFO)) == 0);
    CHECK(m.bkinfoIncPrev.genLow == 31 && m.bkinfoFullCur.genHigh == 41);
    CHECK(m.fShadowingDisabled == 0 && m.fUpgradeDb == 0);
    CHECK(m.cbPageSize == 16384);
}

UNIT_MAIN()
