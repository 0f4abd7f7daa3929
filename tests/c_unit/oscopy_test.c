/* Unit tests of os_file_copy (csrc/os): the kernel path (copy_file_range on
 * Linux), the buffered path the crash journal takes, the end of the source,
 * and fault injection (a READ and a WRITE kind each fail it, nothing copied). */
#include "unit.h"
#include "os.h"

#include <stdint.h>

#define CB_SRC (3u * 1024 * 1024 + 1234) /* more than one 1 MiB chunk of the buffer */

static uint8_t byte_at(uint64_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13);
}

/* src: CB_SRC patterned bytes; dst: empty. */
static int open_pair(const char *d, os_file **ppfs, os_file **ppfd)
{
    char p[1100], q[1100];
    snprintf(p, sizeof p, "%s/src", d);
    snprintf(q, sizeof q, "%s/dst", d);
    uint8_t *buf = malloc(CB_SRC);
    if (buf == NULL)
        return 0;
    for (uint64_t i = 0; i < CB_SRC; i++)
        buf[i] = byte_at(i);
    int ok = os_file_open(p, OS_FILE_TRUNCATE | OS_FILE_WRITE, ppfs) >= 0 &&
             os_file_write(*ppfs, 0, buf, CB_SRC) >= 0 &&
             os_file_open(q, OS_FILE_TRUNCATE | OS_FILE_WRITE, ppfd) >= 0;
    free(buf);
    return ok;
}

/* dst holds src's [offSrc, offSrc + cb) at offDst, and is cbFile long. */
static int dst_holds(os_file *pfd, uint64_t offSrc, uint64_t offDst, size_t cb, uint64_t cbFile)
{
    uint64_t size = 0;
    if (os_file_size(pfd, &size) < 0 || size != cbFile)
        return 0;
    uint8_t *buf = malloc(cb ? cb : 1);
    int ok = buf && os_file_read(pfd, offDst, buf, cb, NULL) >= 0;
    for (size_t i = 0; ok && i < cb; i++)
        ok = buf[i] == byte_at(offSrc + i);
    free(buf);
    return ok;
}

static void copy_checks(const char *name)
{
    const char *d = unit_dir(name);
    os_file *pfs = NULL, *pfd = NULL;
    CHECK(open_pair(d, &pfs, &pfd));
    size_t n = 0;
    /* a whole file, then a range to another offset */
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, CB_SRC, &n), JET_errSuccess);
    CHECK(n == CB_SRC);
    CHECK(dst_holds(pfd, 0, 0, CB_SRC, CB_SRC));
    CHECK_ERR(os_file_copy(pfs, 4096, pfd, CB_SRC, 1u << 20, NULL), JET_errSuccess);
    CHECK(dst_holds(pfd, 4096, CB_SRC, 1u << 20, CB_SRC + (1u << 20)));
    /* past the end of the source: a short copy */
    CHECK_ERR(os_file_copy(pfs, CB_SRC - 100, pfd, 0, 4096, &n), JET_errSuccess);
    CHECK(n == 100);
    CHECK(dst_holds(pfd, CB_SRC - 100, 0, 100, CB_SRC + (1u << 20)));
    CHECK_ERR(os_file_copy(pfs, CB_SRC - 100, pfd, 0, 4096, NULL), JET_errFileIOBeyondEOF);
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, 0, &n), JET_errSuccess);
    CHECK(n == 0);
    os_file_close(pfs);
    os_file_close(pfd);
}

TEST(copy_kernel_path)
{
    CHECK(!os_crash_recording());
    copy_checks("copy_kernel_path");
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

/* While the journal records, the copy is buffered and journaled as writes
 * carrying the bytes (the crash model replays them). */
TEST(copy_buffered_and_journaled)
{
    const char *d = unit_dir("copy_buffered_and_journaled");
    os_file *pfs = NULL, *pfd = NULL;
    CHECK(open_pair(d, &pfs, &pfd));
    os_crash_record(1);
    JET_ERR err = os_file_copy(pfs, 0, pfd, 0, CB_SRC, NULL);
    os_crash_record(0);
    CHECK_ERR(err, JET_errSuccess);
    CHECK(dst_holds(pfd, 0, 0, CB_SRC, CB_SRC));
    uint64_t cb = 0;
    CHECK_ERR(os_crash_read(NULL, 0, &cb), JET_errSuccess);
    unsigned char *buf = malloc(cb ? cb : 1);
    CHECK(buf != NULL);
    CHECK_ERR(os_crash_read(buf, cb, &cb), JET_errSuccess);
    uint64_t next = 0;
    size_t pos = 0;
    int ok = 1;
    while (pos < cb) {
        const unsigned char *e = buf + pos;
        uint32_t cp = (uint32_t)(e[24] | e[25] << 8 | e[26] << 16 | (uint32_t)e[27] << 24);
        uint32_t cp2 = (uint32_t)(e[28] | e[29] << 8 | e[30] << 16 | (uint32_t)e[31] << 24);
        uint64_t off = get_u64(e + 8), cbData = get_u64(e + 16);
        ok &= e[0] == OS_CJ_WRITE && off == next && cbData <= (1u << 20);
        for (uint64_t i = 0; ok && i < cbData; i++)
            ok = e[32 + cp + cp2 + i] == byte_at(off + i);
        next = off + cbData;
        pos += 32 + cp + cp2 + (size_t)cbData;
    }
    free(buf);
    os_crash_record(-1);
    CHECK(ok && next == CB_SRC);
    os_file_close(pfs);
    os_file_close(pfd);
    /* and the buffered path by itself passes the same checks */
    os_crash_record(1);
    copy_checks("copy_buffered_checks");
    os_crash_record(-1);
}

TEST(copy_faults)
{
    const char *d = unit_dir("copy_faults");
    os_file *pfs = NULL, *pfd = NULL;
    CHECK(open_pair(d, &pfs, &pfd));
    uint64_t r0 = os_fault_count(OS_FAULT_READ), w0 = os_fault_count(OS_FAULT_WRITE);
    uint64_t m0 = os_fault_count(OS_FAULT_MUTATE), p0 = os_fault_count(OS_FAULT_PWRITE);
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, 4096, NULL), JET_errSuccess);
    CHECK(os_fault_count(OS_FAULT_READ) == r0 + 1 && os_fault_count(OS_FAULT_WRITE) == w0 + 1);
    CHECK(os_fault_count(OS_FAULT_MUTATE) == m0 + 1 && os_fault_count(OS_FAULT_PWRITE) == p0);
    CHECK_ERR(os_file_truncate(pfd, 0), JET_errSuccess);
    uint64_t size = 1;
    os_fault_io(OS_FAULT_WRITE, 1, 0, JET_errDiskFull);
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, CB_SRC, NULL), JET_errDiskFull);
    CHECK(os_file_size(pfd, &size) >= 0 && size == 0);
    os_fault_io(OS_FAULT_READ, 1, 0, JET_errDiskIO);
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, CB_SRC, NULL), JET_errDiskIO);
    CHECK(os_file_size(pfd, &size) >= 0 && size == 0);
    os_fault_io(OS_FAULT_MUTATE, 1, 1, JET_errDiskIO);
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, CB_SRC, NULL), JET_errDiskIO);
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, CB_SRC, NULL), JET_errDiskIO);
    os_fault_io(OS_FAULT_MUTATE, 0, 0, 0);
    CHECK_ERR(os_file_copy(pfs, 0, pfd, 0, CB_SRC, NULL), JET_errSuccess);
    CHECK(dst_holds(pfd, 0, 0, CB_SRC, CB_SRC));
    /* a buffered copy whose buffer cannot be allocated fails, nothing written */
    CHECK_ERR(os_file_truncate(pfd, 0), JET_errSuccess);
    os_crash_record(1);
    os_fault_alloc(1, 0);
    JET_ERR err = os_file_copy(pfs, 0, pfd, 0, CB_SRC, NULL);
    os_fault_alloc(0, 0);
    os_crash_record(-1);
    CHECK_ERR(err, JET_errOutOfMemory);
    CHECK(os_file_size(pfd, &size) >= 0 && size == 0);
    os_file_close(pfs);
    os_file_close(pfd);
}

UNIT_MAIN()
