/* Unit tests of the OS layer (paths, locks, allocation faults). */
#include "unit.h"
#include "os.h"

TEST(path_absolute_normalises)
{
    char out[OS_PATH_MAX];
    CHECK_ERR(os_path_absolute("/a/./b//c/../d/", out, sizeof out), JET_errSuccess);
    CHECK(strcmp(out, "/a/b/d") == 0);
    CHECK_ERR(os_path_absolute("/..", out, sizeof out), JET_errSuccess);
    CHECK(strcmp(out, "/") == 0);
    CHECK_ERR(os_path_absolute("", out, sizeof out), JET_errInvalidPath);
    CHECK_ERR(os_path_absolute("/abc", out, 3), JET_errInvalidPath);
}

TEST(mkdir_p_and_lock)
{
    const char *d = unit_dir("mkdir_p_and_lock");
    char p[1024];
    snprintf(p, sizeof p, "%s/x/y/z", d);
    CHECK_ERR(os_mkdir_p(p), JET_errSuccess);
    CHECK(os_is_dir(p));
    os_lock *a = NULL, *b = NULL;
    CHECK_ERR(os_lock_dir(p, &a), JET_errSuccess);
    CHECK_ERR(os_lock_dir(p, &b), JET_errFileAccessDenied);
    os_unlock(a);
    CHECK_ERR(os_lock_dir(p, &b), JET_errSuccess);
    os_unlock(b);
}

TEST(allocation_faults)
{
    os_fault_alloc(2, 0);
    void *a = os_malloc(8);
    void *b = os_malloc(8);
    void *c = os_malloc(8);
    CHECK(a != NULL && b == NULL && c != NULL);
    CHECK(os_fault_alloc_hits() == 1);
    os_free(a);
    os_free(c);
    os_fault_alloc(1, 1);
    CHECK(os_malloc(1) == NULL && os_malloc(1) == NULL);
    os_fault_alloc(0, 0);
    a = os_malloc(1);
    CHECK(a != NULL);
    os_free(a);
}

TEST(files_read_write_sync)
{
    const char *d = unit_dir("files_read_write_sync");
    char p[1100], q[1100];
    snprintf(p, sizeof p, "%s/f", d);
    snprintf(q, sizeof q, "%s/g", d);
    os_file *pf = NULL, *pg = NULL;
    CHECK_ERR(os_file_open(p, OS_FILE_READ, &pf), JET_errFileNotFound);
    CHECK_ERR(os_file_open(p, OS_FILE_CREATE | OS_FILE_WRITE | OS_FILE_LOCK, &pf), JET_errSuccess);
    CHECK_ERR(os_file_open(p, OS_FILE_CREATE | OS_FILE_WRITE, &pg), JET_errFileAlreadyExists);
    CHECK_ERR(os_file_open(p, OS_FILE_READ | OS_FILE_LOCK, &pg), JET_errFileAccessDenied);
    CHECK_ERR(os_file_open(d, OS_FILE_READ, &pg), JET_errInvalidPath);
    CHECK_ERR(os_file_write(pf, 10, "hello", 5), JET_errSuccess);
    CHECK_ERR(os_file_sync(pf), JET_errSuccess);
    uint64_t cb = 0;
    CHECK_ERR(os_file_size(pf, &cb), JET_errSuccess);
    CHECK(cb == 15);
    char buf[32];
    size_t got = 0;
    CHECK_ERR(os_file_read(pf, 8, buf, 32, &got), JET_errSuccess);
    CHECK(got == 7 && buf[0] == 0 && memcmp(buf + 2, "hello", 5) == 0);
    CHECK_ERR(os_file_read(pf, 8, buf, 32, NULL), JET_errFileIOBeyondEOF);
    CHECK_ERR(os_file_allocate(pf, 65536), JET_errSuccess);
    CHECK_ERR(os_file_size(pf, &cb), JET_errSuccess);
    CHECK(cb == 65536);
    CHECK_ERR(os_file_truncate(pf, 100), JET_errSuccess);
    CHECK_ERR(os_file_size(pf, &cb), JET_errSuccess);
    CHECK(cb == 100);
    os_file_close(pf);
    CHECK_ERR(os_rename(p, q), JET_errSuccess);
    CHECK_ERR(os_dir_sync(d), JET_errSuccess);
    CHECK(!os_exists(p) && os_exists(q));
    CHECK_ERR(os_unlink(q), JET_errSuccess);
    CHECK_ERR(os_unlink(q), JET_errFileNotFound);
}

TEST(io_faults)
{
    const char *d = unit_dir("io_faults");
    char p[1100];
    snprintf(p, sizeof p, "%s/f", d);
    os_file *pf = NULL;
    CHECK_ERR(os_file_open(p, OS_FILE_TRUNCATE | OS_FILE_WRITE, &pf), JET_errSuccess);
    os_fault_io(OS_FAULT_WRITE, 2, 0, JET_errDiskFull);
    CHECK_ERR(os_file_write(pf, 0, "a", 1), JET_errSuccess);
    CHECK_ERR(os_file_write(pf, 0, "a", 1), JET_errDiskFull);
    CHECK_ERR(os_file_write(pf, 0, "a", 1), JET_errSuccess);
    os_fault_io(OS_FAULT_SYNC, 1, 1, JET_errDiskIO);
    CHECK_ERR(os_file_sync(pf), JET_errDiskIO);
    CHECK_ERR(os_file_sync(pf), JET_errDiskIO);
    os_fault_io(OS_FAULT_SYNC, 0, 0, 0);
    CHECK_ERR(os_file_sync(pf), JET_errSuccess);
    os_fault_io(OS_FAULT_READ, 1, 0, JET_errDiskIO);
    char c;
    CHECK_ERR(os_file_read(pf, 0, &c, 1, NULL), JET_errDiskIO);
    CHECK_ERR(os_file_read(pf, 0, &c, 1, NULL), JET_errSuccess);
    os_file_close(pf);
}

TEST(io_fault_kinds_and_counts)
{
    const char *d = unit_dir("io_fault_kinds");
    char p[1100], q[1100];
    snprintf(p, sizeof p, "%s/f", d);
    snprintf(q, sizeof q, "%s/g", d);
    os_file *pf = NULL;
    CHECK_ERR(os_file_open(p, OS_FILE_TRUNCATE | OS_FILE_WRITE, &pf), JET_errSuccess);
    uint64_t w0 = os_fault_count(OS_FAULT_PWRITE), m0 = os_fault_count(OS_FAULT_MUTATE);
    uint64_t r0 = os_fault_count(OS_FAULT_RENAME), a0 = os_fault_alloc_count();
    CHECK_ERR(os_file_write(pf, 0, "abc", 3), JET_errSuccess);
    CHECK_ERR(os_file_sync(pf), JET_errSuccess);
    CHECK_ERR(os_rename(p, q), JET_errSuccess);
    void *pv = os_malloc(8);
    os_free(pv);
    CHECK(os_fault_count(OS_FAULT_PWRITE) == w0 + 1);
    CHECK(os_fault_count(OS_FAULT_RENAME) == r0 + 1);
    CHECK(os_fault_count(OS_FAULT_MUTATE) == m0 + 3);
    CHECK(os_fault_alloc_count() == a0 + 1);
    /* the k-th call of one kind, others untouched */
    os_fault_io(OS_FAULT_UNLINK, 1, 0, JET_errDiskIO);
    CHECK_ERR(os_file_write(pf, 0, "x", 1), JET_errSuccess);
    CHECK_ERR(os_unlink(q), JET_errDiskIO);
    CHECK(os_exists(q));
    os_fault_io(OS_FAULT_MUTATE, 2, 1, JET_errDiskFull);
    CHECK_ERR(os_file_truncate(pf, 1), JET_errSuccess);
    CHECK_ERR(os_dir_sync(d), JET_errDiskFull);
    CHECK_ERR(os_file_write(pf, 0, "x", 1), JET_errDiskFull);
    os_fault_io(OS_FAULT_MUTATE, 0, 0, 0);
    CHECK_ERR(os_file_write(pf, 0, "x", 1), JET_errSuccess);
    os_file_close(pf);
    CHECK_ERR(os_unlink(q), JET_errSuccess);
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

TEST(crash_journal)
{
    const char *d = unit_dir("crash_journal");
    char p[1100], q[1100];
    snprintf(p, sizeof p, "%s/f", d);
    snprintf(q, sizeof q, "%s/g", d);
    os_file *pf = NULL;
    uint64_t cb = 0;
    os_crash_record(1);
    CHECK(os_crash_recording());
    CHECK_ERR(os_file_open(p, OS_FILE_TRUNCATE | OS_FILE_WRITE, &pf), JET_errSuccess);
    CHECK_ERR(os_file_write(pf, 5, "hello", 5), JET_errSuccess);
    os_fault_io(OS_FAULT_FSYNC, 1, 0, JET_errDiskIO);
    CHECK_ERR(os_file_sync(pf), JET_errDiskIO); /* journaled as OS_CJ_SYNCFAIL */
    CHECK_ERR(os_file_sync(pf), JET_errSuccess);
    os_crash_mark(42);
    CHECK_ERR(os_rename(p, q), JET_errSuccess);
    CHECK_ERR(os_dir_sync(d), JET_errSuccess);
    os_crash_record(0);
    CHECK_ERR(os_file_write(pf, 0, "z", 1), JET_errSuccess); /* not recording */
    os_file_close(pf);
    CHECK_ERR(os_crash_read(NULL, 0, &cb), JET_errSuccess);
    unsigned char *buf = malloc(cb);
    CHECK(buf != NULL);
    CHECK_ERR(os_crash_read(buf, cb - 1, &cb), JET_errBufferTooSmall);
    CHECK_ERR(os_crash_read(buf, cb, &cb), JET_errSuccess);
    int want[] = { OS_CJ_OPEN, OS_CJ_WRITE, OS_CJ_SYNCFAIL, OS_CJ_SYNC, OS_CJ_MARK, OS_CJ_RENAME, OS_CJ_DIRSYNC };
    size_t pos = 0;
    int n = 0;
    while (pos < cb && n < 7) {
        const unsigned char *e = buf + pos;
        uint32_t cp = (uint32_t)(e[24] | e[25] << 8 | e[26] << 16 | (uint32_t)e[27] << 24);
        uint32_t cp2 = (uint32_t)(e[28] | e[29] << 8 | e[30] << 16 | (uint32_t)e[31] << 24);
        uint64_t cbData = get_u64(e + 16);
        CHECK(e[0] == want[n]);
        if (e[0] == OS_CJ_WRITE)
            CHECK(get_u64(e + 8) == 5 && cbData == 5 && memcmp(e + 32, "hello", 5) == 0);
        if (e[0] == OS_CJ_MARK)
            CHECK(get_u64(e + 8) == 42);
        if (e[0] == OS_CJ_RENAME)
            CHECK(cp == strlen(p) && cp2 == strlen(q) && memcmp(e + 32 + cp, q, cp2) == 0);
        pos += 32 + cp + cp2 + (size_t)cbData;
        n++;
    }
    CHECK(n == 7 && pos == cb);
    free(buf);
    os_crash_record(-1);
    CHECK_ERR(os_crash_read(NULL, 0, &cb), JET_errSuccess);
    CHECK(cb == 0);
    CHECK_ERR(os_unlink(q), JET_errSuccess);
}

static JET_ERR count_entry(const char *name, void *ctx)
{
    (void)name;
    (*(int *)ctx)++;
    return JET_errSuccess;
}

TEST(list_dir_and_crc)
{
    const char *d = unit_dir("list_dir_and_crc");
    char p[1100];
    for (int i = 0; i < 3; i++) {
        os_file *pf;
        snprintf(p, sizeof p, "%s/f%d", d, i);
        CHECK_ERR(os_file_open(p, OS_FILE_TRUNCATE | OS_FILE_WRITE, &pf), JET_errSuccess);
        os_file_close(pf);
    }
    int n = 0;
    CHECK_ERR(os_list_dir(d, count_entry, &n), JET_errSuccess);
    CHECK(n == 3);
    /* CRC-32C check value of "123456789" */
    CHECK(os_crc32c(0, "123456789", 9) == 0xE3069283u);
    /* incremental == one shot, at every split point and alignment */
    char buf[100];
    for (int i = 0; i < 100; i++)
        buf[i] = (char)(i * 7 + 1);
    uint32_t whole = os_crc32c(0, buf, 100);
    for (int k = 0; k <= 100; k++)
        CHECK(os_crc32c(os_crc32c(0, buf, (size_t)k), buf + k, (size_t)(100 - k)) == whole);
}

/* issue 20: the interleaved hardware path (when the CPU has one) and the
 * portable tables give the same CRC-32C: known vectors, then random lengths
 * (across the 3 x 256 and 3 x 1360 byte rounds) at offsets 0-15, seeded
 * and chained.  A page sealed by either path verifies with the other (the
 * format never depended on the path). */
TEST(crc32c_paths_agree)
{
    static const struct { const char *s; uint32_t crc; } vec[] = {
        { "", 0x00000000u },
        { "a", 0xC1D04330u },
        { "123456789", 0xE3069283u },
        { "The quick brown fox jumps over the lazy dog", 0x22620404u },
    };
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        CHECK(os_crc32c(0, vec[i].s, strlen(vec[i].s)) == vec[i].crc);
        CHECK(os_crc32c_portable(0, vec[i].s, strlen(vec[i].s)) == vec[i].crc);
    }
    /* RFC 3720 (iSCSI) B.4: 32 bytes of zeros, of 0xFF, ascending */
    uint8_t v32[32];
    memset(v32, 0, sizeof v32);
    CHECK(os_crc32c(0, v32, 32) == 0x8A9136AAu);
    memset(v32, 0xFF, sizeof v32);
    CHECK(os_crc32c(0, v32, 32) == 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        v32[i] = (uint8_t)i;
    CHECK(os_crc32c(0, v32, 32) == 0x46DD794Eu);
    /* 64 KiB of zeros: many long rounds (a value fixed by the portable path) */
    enum { BIG = 70000 };
    uint8_t *buf = malloc(BIG + 16);
    CHECK(buf != NULL);
    memset(buf, 0, BIG + 16);
    CHECK(os_crc32c(0, buf, 65536) == os_crc32c_portable(0, buf, 65536));
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < BIG + 16; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    for (int t = 0; t < 3000; t++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t off = (size_t)(x % 16);
        size_t len = t < 1000 ? (size_t)((x >> 8) % 1600) : t < 2000 ? (size_t)((x >> 8) % 16384) : (size_t)((x >> 8) % BIG);
        uint32_t seed = t % 3 ? (uint32_t)(x >> 32) : 0;
        uint32_t a = os_crc32c(seed, buf + off, len), b = os_crc32c_portable(seed, buf + off, len);
        CHECK(a == b);
        size_t k = len ? (size_t)((x >> 20) % len) : 0; /* chained at a random split */
        CHECK(os_crc32c(os_crc32c(seed, buf + off, k), buf + off + k, len - k) == a);
    }
    /* the cache's seal (crc of bytes 4.. seeded with the pgno) of a 4 KiB and
     * a 32 KiB page: the same by either path */
    for (uint32_t cb = 4096; cb <= 32768; cb *= 8) {
        uint32_t hw = os_crc32c(7, buf + 4, cb - 4), sw = os_crc32c_portable(7, buf + 4, cb - 4);
        CHECK(hw == sw);
    }
    free(buf);
    fprintf(stderr, "crc32c hardware path: %s\n", os_crc32c_hardware() ? "yes" : "no");
}

UNIT_MAIN()
