/*
 * os_unix.c -- the POSIX implementation of the OS layer (os.h).
 *
 * Owns: calls to malloc/free, getcwd, stat, mkdir, open/pread/pwrite/
 * fdatasync/ftruncate/fallocate/rename/unlink/flock/close, readdir and
 * clock_gettime, dlopen/dlsym (named callbacks) on behalf of the engine; CRC-32C; and the fault-injection
 * counters for allocations and I/O (the only process-wide mutable state
 * outside the instance table: test hooks, guarded by atomics, plus the
 * read-only-after-init CRC tables and the file-id counter).  Every
 * state-changing call is bracketed by os_crash_begin / os_crash_end so the
 * crash-simulation journal (os_crash.c) sees it when a test records.
 * Must not touch: engine structures; it reports failures as JET_ERR only.
 *
 * Portability: written for Linux, macOS and FreeBSD; every call that is not
 * POSIX on all three sits in one helper below with an #if per system
 * (sync_data, sync_full, allocate, open_direct; os_file_copy's
 * copy_file_range is Linux's, a buffer elsewhere).  Linux is tested; the macOS
 * and FreeBSD branches are written, not tested here (README, "Platforms").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "le.h"
#include "os.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Memory with fault injection                                              */
/* ------------------------------------------------------------------------ */

/* Invariant H1 (issue 20): hooks_on is 0 until a test hook is first called
 * (arming a fault or reading a counter: os_fault_*), then 1 for the rest of
 * the process.  While it is 0 no fault is armed and no counter is read, so
 * an allocation or an I/O call pays one relaxed load and nothing else; the
 * counters count from the first hook call on (tests read differences). */
static _Atomic int hooks_on;

static void hooks_enable(void)
{
    if (!atomic_load_explicit(&hooks_on, memory_order_relaxed))
        atomic_store(&hooks_on, 1);
}

static inline int hooks_off(void)
{
    return !atomic_load_explicit(&hooks_on, memory_order_relaxed);
}

/* Invariant: fault_countdown == 0 means injection is off; otherwise the
 * allocation that decrements it to 0 fails (and, when fault_persistent, all
 * later ones too, until os_fault_alloc(0, 0)). */
static _Atomic uint32_t fault_countdown;
static _Atomic int      fault_persistent;
static _Atomic int      fault_tripped;
static _Atomic uint32_t fault_hits;
static _Atomic uint64_t alloc_count;

uint64_t os_fault_alloc_count(void)
{
    hooks_enable();
    return atomic_load(&alloc_count);
}

/* Invariant: alloc_live counts the blocks os_malloc/os_calloc/os_realloc(NULL,
 * ...)/os_malloc_aligned handed out and os_free has not yet taken back (every
 * engine allocation goes through this file, so after JetTerm of every instance
 * it is back where it was: tests check that no error path leaks). */
static _Atomic int64_t  alloc_live;

static int fault_should_fail(void)
{
    if (hooks_off())
        return 0; /* H1 */
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    if (atomic_load(&fault_tripped)) {
        atomic_fetch_add(&fault_hits, 1);
        return 1;
    }
    uint32_t c = atomic_load(&fault_countdown);
    while (c != 0) {
        if (atomic_compare_exchange_weak(&fault_countdown, &c, c - 1)) {
            if (c == 1) {
                if (atomic_load(&fault_persistent))
                    atomic_store(&fault_tripped, 1);
                atomic_fetch_add(&fault_hits, 1);
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

void os_fault_alloc(uint32_t n, int persistent)
{
    hooks_enable();
    atomic_store(&fault_tripped, 0);
    atomic_store(&fault_persistent, persistent ? 1 : 0);
    atomic_store(&fault_countdown, n);
    if (n == 0)
        atomic_store(&fault_hits, 0);
}

uint32_t os_fault_alloc_hits(void)
{
    hooks_enable();
    return atomic_load(&fault_hits);
}

int64_t os_alloc_live(void)
{
    return atomic_load(&alloc_live);
}

static void *counted(void *pv)
{
    if (pv)
        atomic_fetch_add(&alloc_live, 1);
    return pv;
}

void *os_malloc(size_t cb)
{
    if (fault_should_fail())
        return NULL;
    return counted(malloc(cb ? cb : 1));
}

void *os_malloc_aligned(size_t align, size_t cb)
{
    void *pv = NULL;
    if (fault_should_fail())
        return NULL;
    return posix_memalign(&pv, align, cb ? cb : 1) == 0 ? counted(pv) : NULL;
}

void *os_calloc(size_t n, size_t cb)
{
    if (fault_should_fail())
        return NULL;
    return counted(calloc(n ? n : 1, cb ? cb : 1));
}

void *os_realloc(void *pv, size_t cb)
{
    if (fault_should_fail())
        return NULL;
    void *pvNew = realloc(pv, cb ? cb : 1);
    return pv == NULL ? counted(pvNew) : pvNew;
}

char *os_strdup(const char *sz)
{
    size_t cb = strlen(sz) + 1;
    char *p = os_malloc(cb);
    if (p)
        memcpy(p, sz, cb);
    return p;
}

void os_free(void *pv)
{
    if (pv)
        atomic_fetch_sub(&alloc_live, 1);
    free(pv);
}

/* ------------------------------------------------------------------------ */
/* errno                                                                     */
/* ------------------------------------------------------------------------ */

JET_ERR os_err_from_errno(int e)
{
    switch (e) {
    case 0:            return JET_errSuccess;
    case ENOMEM:       return JET_errOutOfMemory;
    case EACCES:
    case EPERM:
    case EROFS:        return JET_errFileAccessDenied;
    case ENOENT:       return JET_errFileNotFound;
    case EEXIST:       return JET_errFileAlreadyExists;
    case ENOSPC:
    case EDQUOT:       return JET_errDiskFull;
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case EINVAL:       return JET_errInvalidPath;
    case EMFILE:
    case ENFILE:       return JET_errOutOfFileHandles;
    case EWOULDBLOCK:  return JET_errFileAccessDenied;
    default:           return JET_errDiskIO;
    }
}

/* ------------------------------------------------------------------------ */
/* Paths                                                                     */
/* ------------------------------------------------------------------------ */

JET_ERR os_path_absolute(const char *path, char *out, size_t cbOut)
{
    char buf[OS_PATH_MAX];
    size_t n = 0;

    if (path == NULL || path[0] == '\0' || cbOut < 2)
        return JET_errInvalidPath;
    if (path[0] != '/') {
        if (getcwd(buf, sizeof(buf)) == NULL)
            return JET_errInvalidPath;
        n = strlen(buf);
    }
    /* Append path components one by one, resolving "." and ".." lexically.
     * Invariant: buf[0..n) is "" or an absolute path without trailing '/'. */
    if (n == 1 && buf[0] == '/')
        n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && *q != '/')
            q++;
        size_t len = (size_t)(q - p);
        if (len == 1 && p[0] == '.') {
            /* skip */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && buf[n - 1] != '/')
                n--;
            if (n > 0)
                n--; /* drop the '/' too */
        } else {
            if (n + 1 + len + 1 > sizeof(buf))
                return JET_errInvalidPath;
            buf[n++] = '/';
            memcpy(buf + n, p, len);
            n += len;
        }
        p = q;
    }
    if (n == 0)
        buf[n++] = '/';
    buf[n] = '\0';
    if (n + 1 > cbOut)
        return JET_errInvalidPath;
    memcpy(out, buf, n + 1);
    return JET_errSuccess;
}

int os_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

JET_ERR os_mkdir_p(const char *path)
{
    char buf[OS_PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf))
        return JET_errInvalidPath;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        int journal = os_crash_begin();
        int rc = mkdir(buf, 0777);
        int e0 = errno;
        os_crash_end(journal, rc == 0, OS_CJ_MKDIR, 0, buf, NULL, 0, NULL, 0);
        errno = e0;
        if (rc != 0 && errno != EEXIST) {
            int e = errno;
            return e == EACCES || e == EPERM || e == EROFS ? JET_errFileAccessDenied
                                                           : JET_errInvalidPath;
        }
        if (!os_is_dir(buf))
            return JET_errInvalidPath;
        buf[i] = saved;
    }
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* Locks                                                                     */
/* ------------------------------------------------------------------------ */

struct os_lock {
    int fd;
};

JET_ERR os_lock_dir(const char *dir, os_lock **pplock)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return os_err_from_errno(errno) == JET_errFileAccessDenied ? JET_errFileAccessDenied
                                                                   : JET_errInvalidPath;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return e == EWOULDBLOCK ? JET_errFileAccessDenied : os_err_from_errno(e);
    }
    os_lock *plock = os_malloc(sizeof(*plock));
    if (plock == NULL) {
        close(fd); /* closing releases the lock */
        return JET_errOutOfMemory;
    }
    plock->fd = fd;
    *pplock = plock;
    return JET_errSuccess;
}

void os_unlock(os_lock *plock)
{
    if (plock == NULL)
        return;
    close(plock->fd);
    os_free(plock);
}

/* ------------------------------------------------------------------------ */
/* Time                                                                      */
/* ------------------------------------------------------------------------ */

int64_t os_time_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void os_logtime_now(JET_LOGTIME *plt)
{
    struct timespec ts;
    struct tm tmv;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tmv);
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
    memset(plt, 0, sizeof(*plt));
    plt->bSeconds = (char)tmv.tm_sec;
    plt->bMinutes = (char)tmv.tm_min;
    plt->bHours = (char)tmv.tm_hour;
    plt->bDay = (char)tmv.tm_mday;
    plt->bMonth = (char)(tmv.tm_mon + 1);
    plt->bYear = (char)tmv.tm_year;
    plt->fTimeIsUTC = 1;
    plt->bMillisecondsLow = ms & 0x7F;
    plt->bMillisecondsHigh = (ms >> 7) & 0x7;
}

JET_ERR os_logtime_to_us(const JET_LOGTIME *plt, int64_t *pus)
{
    struct tm tmv;
    memset(&tmv, 0, sizeof(tmv));
    tmv.tm_sec = (unsigned char)plt->bSeconds;
    tmv.tm_min = (unsigned char)plt->bMinutes;
    tmv.tm_hour = (unsigned char)plt->bHours;
    tmv.tm_mday = (unsigned char)plt->bDay;
    tmv.tm_mon = (unsigned char)plt->bMonth - 1;
    tmv.tm_year = (unsigned char)plt->bYear;
    tmv.tm_isdst = -1;
    if (tmv.tm_sec > 60 || tmv.tm_min > 59 || tmv.tm_hour > 23 || tmv.tm_mday < 1 || tmv.tm_mday > 31 ||
        tmv.tm_mon < 0 || tmv.tm_mon > 11)
        return JET_errInvalidParameter;
    time_t t = plt->fTimeIsUTC ? timegm(&tmv) : mktime(&tmv);
    if (t == (time_t)-1)
        return JET_errInvalidParameter;
    unsigned ms = ((unsigned)(unsigned char)plt->bMillisecondsLow & 0x7F) |
                  (((unsigned)(unsigned char)plt->bMillisecondsHigh & 0x7) << 7);
    *pus = (int64_t)t * 1000000 + (int64_t)(ms > 999 ? 999 : ms) * 1000;
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* I/O fault injection                                                       */
/* ------------------------------------------------------------------------ */

/* Per kind (read, write, sync): countdown to the failing call, persistence,
 * tripped state and the error to return.  Same invariant as the allocation
 * countdown above. */
static _Atomic uint32_t io_countdown[OS_FAULT_KINDS];
static _Atomic int      io_persistent[OS_FAULT_KINDS];
static _Atomic int      io_tripped[OS_FAULT_KINDS];
static _Atomic int32_t  io_err[OS_FAULT_KINDS];
static _Atomic uint64_t io_count[OS_FAULT_KINDS];

uint64_t os_fault_count(int kind)
{
    hooks_enable();
    return kind >= 0 && kind < OS_FAULT_KINDS ? atomic_load(&io_count[kind]) : 0;
}
static _Atomic uint32_t io_hits[OS_FAULT_KINDS]; /* faults returned since os_fault_io armed the kind */

void os_fault_io(int kind, uint32_t n, int persistent, JET_ERR err)
{
    hooks_enable();
    if (kind < 0 || kind >= OS_FAULT_KINDS)
        return;
    atomic_store(&io_tripped[kind], 0);
    atomic_store(&io_persistent[kind], persistent ? 1 : 0);
    atomic_store(&io_err[kind], err);
    atomic_store(&io_hits[kind], 0);
    atomic_store(&io_countdown[kind], n);
}

uint32_t os_fault_io_hits(int kind)
{
    hooks_enable();
    return kind >= 0 && kind < OS_FAULT_KINDS ? atomic_load(&io_hits[kind]) : 0;
}

static JET_ERR io_fault(int kind)
{
    if (hooks_off())
        return JET_errSuccess; /* H1 */
    atomic_fetch_add_explicit(&io_count[kind], 1, memory_order_relaxed);
    if (atomic_load(&io_tripped[kind])) {
        atomic_fetch_add(&io_hits[kind], 1);
        return atomic_load(&io_err[kind]);
    }
    uint32_t c = atomic_load(&io_countdown[kind]);
    while (c != 0) {
        if (atomic_compare_exchange_weak(&io_countdown[kind], &c, c - 1)) {
            if (c == 1) {
                if (atomic_load(&io_persistent[kind]))
                    atomic_store(&io_tripped[kind], 1);
                atomic_fetch_add(&io_hits[kind], 1);
                return atomic_load(&io_err[kind]);
            }
            return JET_errSuccess;
        }
    }
    return JET_errSuccess;
}

/* A call of several kinds (up to three; -1 = none): each kind counts it, the
 * first failure wins. */
static JET_ERR io_faults(int k1, int k2, int k3)
{
    JET_ERR err = io_fault(k1);
    JET_ERR e2 = k2 >= 0 ? io_fault(k2) : JET_errSuccess;
    JET_ERR e3 = k3 >= 0 ? io_fault(k3) : JET_errSuccess;
    return err < 0 ? err : e2 < 0 ? e2 : e3;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

struct os_file {
    int      fd;
    uint32_t id; /* names the file in the crash journal */
    char    *path;
};

/* The error of a failed open(2).  With OS_FILE_NOFOLLOW a link at `path`
 * fails with ELOOP, or with EEXIST under O_EXCL: both are JET_errInvalidPath. */
static JET_ERR open_err(const char *path, uint32_t flags, int e)
{
    if ((flags & OS_FILE_NOFOLLOW) && (e == ELOOP || (e == EEXIST && os_is_symlink(path))))
        return JET_errInvalidPath;
    return os_err_from_errno(e);
}

static _Atomic uint32_t next_file_id;

static JET_ERR file_open_fd(const char *path, uint32_t flags, int oflags, os_file **ppf);

JET_ERR os_file_open(const char *path, uint32_t flags, os_file **ppf)
{
    int oflags = O_CLOEXEC | ((flags & OS_FILE_WRITE) ? O_RDWR : O_RDONLY);
    if (flags & OS_FILE_CREATE)
        oflags |= O_CREAT | O_EXCL | O_RDWR;
    if (flags & OS_FILE_TRUNCATE)
        oflags |= O_CREAT | O_TRUNC | O_RDWR;
    if (flags & OS_FILE_NOFOLLOW)
        oflags |= O_NOFOLLOW;
    if (os_is_dir(path))
        return JET_errInvalidPath;
    int journal = (flags & (OS_FILE_WRITE | OS_FILE_CREATE | OS_FILE_TRUNCATE)) ? os_crash_begin() : 0;
    uint32_t id = atomic_fetch_add(&next_file_id, 1) + 1;
    JET_ERR err = file_open_fd(path, flags, oflags, ppf);
    if (err >= 0)
        (*ppf)->id = id;
    os_crash_end(journal, err >= 0, OS_CJ_OPEN, id, path, NULL, flags, NULL, 0);
    return err;
}

/* ---- system-specific calls ------------------------------------------------ */

/* Open bypassing the page cache (OS_FILE_DIRECT): O_DIRECT on Linux and
 * FreeBSD, F_NOCACHE on macOS; -1 with errno EINVAL where the file system
 * refuses it (the caller then opens normally). */
static int open_direct(const char *path, int oflags)
{
#if defined(O_DIRECT)
    return open(path, oflags | O_DIRECT, 0666);
#elif defined(__APPLE__)
    int fd = open(path, oflags, 0666);
    if (fd >= 0 && fcntl(fd, F_NOCACHE, 1) != 0) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
#else
    (void)path;
    (void)oflags;
    errno = EINVAL;
    return -1;
#endif
}

/* Make a file's data (and the metadata needed to read it back) durable.
 * macOS: fsync leaves the data in the drive's cache, F_FULLFSYNC flushes it
 * (fsync where the file system refuses F_FULLFSYNC); Linux and FreeBSD:
 * fdatasync; elsewhere fsync.  0 or -1 with errno. */
static int sync_data(int fd)
{
#if defined(__APPLE__)
    if (fcntl(fd, F_FULLFSYNC) == 0)
        return 0;
    if (errno == EINTR || errno == EIO)
        return -1;
    return fsync(fd);
#elif defined(__linux__) || defined(__FreeBSD__)
    return fdatasync(fd);
#else
    return fsync(fd);
#endif
}

/* Make a folder's entries durable (fd open on the folder). */
static int sync_full(int fd)
{
#if defined(__APPLE__)
    if (fcntl(fd, F_FULLFSYNC) == 0)
        return 0;
#endif
    return fsync(fd);
}

/* Reserve [off, off + len) of a file; 0 or an errno value (EOPNOTSUPP /
 * EINVAL: this file system cannot, the caller writes zeros instead).
 * posix_fallocate on Linux and FreeBSD (FreeBSD's ZFS answers EINVAL); macOS
 * has none: F_PREALLOCATE reserves the blocks, ftruncate makes them the file's. */
static int allocate(int fd, uint64_t off, uint64_t len)
{
#if defined(__APPLE__)
    fstore_t fs = { F_ALLOCATECONTIG | F_ALLOCATEALL, F_PEOFPOSMODE, 0, (off_t)len, 0 };
    if (fcntl(fd, F_PREALLOCATE, &fs) != 0) {
        fs.fst_flags = F_ALLOCATEALL;
        if (fcntl(fd, F_PREALLOCATE, &fs) != 0)
            return errno == EINTR ? EINTR : EOPNOTSUPP;
    }
    return ftruncate(fd, (off_t)(off + len)) == 0 ? 0 : errno;
#elif defined(__linux__) || defined(__FreeBSD__)
    return posix_fallocate(fd, (off_t)off, (off_t)len);
#else
    (void)fd;
    (void)off;
    (void)len;
    return EOPNOTSUPP;
#endif
}

static JET_ERR file_open_fd(const char *path, uint32_t flags, int oflags, os_file **ppf)
{
    /* The handle's memory first: an allocation failure after open(2) had
     * created the file would leave a file no caller knows it made. */
    os_file *pf = os_malloc(sizeof(*pf));
    char *copy = pf ? os_strdup(path) : NULL;
    if (pf == NULL || copy == NULL) {
        os_free(pf);
        return JET_errOutOfMemory;
    }
    int fd = -1;
    JET_ERR err = JET_errSuccess;
    if (flags & OS_FILE_DIRECT) {
        fd = open_direct(path, oflags);
        if (fd < 0 && errno != EINVAL)
            err = open_err(path, flags, errno);
    }
    if (err >= 0 && fd < 0) {
        fd = open(path, oflags, 0666); /* no direct I/O here (or on this file system) */
        if (fd < 0)
            err = open_err(path, flags, errno);
    }
    if (err >= 0 && (flags & OS_FILE_LOCK) && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        err = e == EWOULDBLOCK ? JET_errFileAccessDenied : os_err_from_errno(e);
    }
    if (err < 0) {
        os_free(copy);
        os_free(pf);
        return err;
    }
    pf->fd = fd;
    pf->path = copy;
    *ppf = pf;
    return JET_errSuccess;
}

void os_file_close(os_file *pf)
{
    if (pf == NULL)
        return;
    close(pf->fd);
    os_free(pf->path);
    os_free(pf);
}

const char *os_file_path(const os_file *pf)
{
    return pf->path;
}

JET_ERR os_file_read(os_file *pf, uint64_t off, void *buf, size_t cb, size_t *pcbRead)
{
    JET_ERR err = io_fault(OS_FAULT_READ);
    if (err < 0)
        return err;
    size_t done = 0;
    while (done < cb) {
        ssize_t n = pread(pf->fd, (char *)buf + done, cb - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EIO ? JET_errDiskIO : os_err_from_errno(errno);
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    if (pcbRead)
        *pcbRead = done;
    else if (done < cb)
        return JET_errFileIOBeyondEOF;
    return JET_errSuccess;
}

static JET_ERR file_write(os_file *pf, uint64_t off, const void *buf, size_t cb);

JET_ERR os_file_write(os_file *pf, uint64_t off, const void *buf, size_t cb)
{
    JET_ERR err = io_faults(OS_FAULT_WRITE, OS_FAULT_PWRITE, OS_FAULT_MUTATE);
    if (err < 0)
        return err;
    int journal = os_crash_begin();
    err = file_write(pf, off, buf, cb);
    os_crash_end(journal, err >= 0, OS_CJ_WRITE, pf->id, NULL, NULL, off, buf, cb);
    return err;
}

static JET_ERR file_write(os_file *pf, uint64_t off, const void *buf, size_t cb)
{
    size_t done = 0;
    while (done < cb) {
        ssize_t n = pwrite(pf->fd, (const char *)buf + done, cb - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EIO ? JET_errDiskIO : os_err_from_errno(errno);
        }
        done += (size_t)n;
    }
    return JET_errSuccess;
}

/* os_file_copy's user-space path: chunks of at most 1 MiB through one buffer,
 * each chunk written (and journaled) as os_file_write writes it. */
static JET_ERR copy_bounce(os_file *src, uint64_t offSrc, os_file *dst, uint64_t offDst, size_t cb, size_t *pdone)
{
    size_t cbBuf = cb < ((size_t)1 << 20) ? cb : ((size_t)1 << 20);
    uint8_t *buf = os_malloc(cbBuf ? cbBuf : 1);
    if (buf == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = JET_errSuccess;
    while (err >= 0 && *pdone < cb) {
        size_t want = cb - *pdone < cbBuf ? cb - *pdone : cbBuf, got = 0;
        while (got < want) {
            ssize_t n = pread(src->fd, buf + got, want - got, (off_t)(offSrc + *pdone + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                err = errno == EIO ? JET_errDiskIO : os_err_from_errno(errno);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (err < 0 || got == 0)
            break;
        int journal = os_crash_begin();
        err = file_write(dst, offDst + *pdone, buf, got);
        os_crash_end(journal, err >= 0, OS_CJ_WRITE, dst->id, NULL, NULL, offDst + *pdone, buf, got);
        if (err >= 0)
            *pdone += got;
        if (got < want)
            break; /* end of src */
    }
    os_free(buf);
    return err;
}

JET_ERR os_file_copy(os_file *src, uint64_t offSrc, os_file *dst, uint64_t offDst, size_t cb, size_t *pcbCopied)
{
    JET_ERR err = io_fault(OS_FAULT_READ);
    JET_ERR e2 = io_faults(OS_FAULT_WRITE, OS_FAULT_MUTATE, -1);
    if (err >= 0)
        err = e2;
    size_t done = 0;
    int fEof = 0;
#if defined(__linux__) && defined(SYS_copy_file_range)
    /* The kernel path is not journaled: it runs only while nothing records. */
    while (err >= 0 && done < cb && !os_crash_recording()) {
        loff_t in = (loff_t)(offSrc + done), out = (loff_t)(offDst + done);
        long n = syscall(SYS_copy_file_range, src->fd, &in, dst->fd, &out, cb - done, 0u);
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            if (e == ENOSYS || e == EXDEV || e == EINVAL || e == EOPNOTSUPP || e == ETXTBSY || e == EBADF)
                break; /* not between these files: the buffer does the rest */
            err = e == EIO ? JET_errDiskIO : os_err_from_errno(e);
            break;
        }
        if (n == 0) {
            fEof = 1; /* end of src */
            break;
        }
        done += (size_t)n;
    }
#endif
    if (err >= 0 && done < cb && !fEof)
        err = copy_bounce(src, offSrc, dst, offDst, cb, &done);
    if (err >= 0) {
        if (pcbCopied)
            *pcbCopied = done;
        else if (done < cb)
            err = JET_errFileIOBeyondEOF;
    }
    return err;
}

JET_ERR os_file_sync(os_file *pf)
{
    JET_ERR err = io_faults(OS_FAULT_SYNC, OS_FAULT_FSYNC, OS_FAULT_MUTATE);
    int journal = os_crash_begin();
    while (err >= 0 && sync_data(pf->fd) != 0) {
        if (errno != EINTR) {
            err = errno == EIO ? JET_errDiskIO : os_err_from_errno(errno);
            break;
        }
    }
    /* A failed fdatasync is journaled too: Linux may then drop the unsynced
     * data while a later fdatasync succeeds (the model loses it). */
    os_crash_end(journal, 1, err >= 0 ? OS_CJ_SYNC : OS_CJ_SYNCFAIL, pf->id, NULL, NULL, 0, NULL, 0);
    return err;
}

JET_ERR os_file_size(os_file *pf, uint64_t *pcb)
{
    struct stat st;
    if (fstat(pf->fd, &st) != 0)
        return os_err_from_errno(errno);
    *pcb = (uint64_t)st.st_size;
    return JET_errSuccess;
}

JET_ERR os_file_truncate(os_file *pf, uint64_t cb)
{
    JET_ERR err = io_faults(OS_FAULT_WRITE, OS_FAULT_TRUNCATE, OS_FAULT_MUTATE);
    if (err < 0)
        return err;
    int journal = os_crash_begin();
    while (ftruncate(pf->fd, (off_t)cb) != 0) {
        if (errno != EINTR) {
            err = os_err_from_errno(errno);
            break;
        }
    }
    os_crash_end(journal, err >= 0, OS_CJ_TRUNCATE, pf->id, NULL, NULL, cb, NULL, 0);
    return err;
}

JET_ERR os_file_allocate(os_file *pf, uint64_t cb)
{
    uint64_t cur;
    JET_ERR err = os_file_size(pf, &cur);
    if (err < 0 || cur >= cb)
        return err;
    err = io_faults(OS_FAULT_WRITE, OS_FAULT_ALLOCATE, OS_FAULT_MUTATE);
    if (err < 0)
        return err;
    int journal = os_crash_begin();
    int rc = allocate(pf->fd, cur, cb - cur);
    os_crash_end(journal, rc == 0, OS_CJ_ALLOCATE, pf->id, NULL, NULL, cb, NULL, 0);
    if (rc == 0)
        return JET_errSuccess;
    if (rc != EOPNOTSUPP && rc != EINVAL)
        return os_err_from_errno(rc);
    /* File systems without fallocate: write zeros. */
    static const char zeros[65536];
    while (cur < cb) {
        size_t n = cb - cur < sizeof(zeros) ? (size_t)(cb - cur) : sizeof(zeros);
        err = os_file_write(pf, cur, zeros, n);
        if (err < 0)
            return err;
        cur += n;
    }
    return JET_errSuccess;
}

JET_ERR os_rename(const char *from, const char *to)
{
    JET_ERR err = io_faults(OS_FAULT_WRITE, OS_FAULT_RENAME, OS_FAULT_MUTATE);
    if (err < 0)
        return err;
    int journal = os_crash_begin();
    int rc = rename(from, to);
    err = rc == 0 ? JET_errSuccess : os_err_from_errno(errno);
    os_crash_end(journal, rc == 0, OS_CJ_RENAME, 0, from, to, 0, NULL, 0);
    return err;
}

JET_ERR os_unlink(const char *path)
{
    JET_ERR err = io_faults(OS_FAULT_UNLINK, OS_FAULT_MUTATE, -1);
    if (err < 0)
        return err;
    int journal = os_crash_begin();
    int rc = unlink(path);
    err = rc == 0 ? JET_errSuccess : os_err_from_errno(errno);
    os_crash_end(journal, rc == 0, OS_CJ_UNLINK, 0, path, NULL, 0, NULL, 0);
    return err;
}

JET_ERR os_rmdir(const char *path)
{
    int journal = os_crash_begin();
    int rc = rmdir(path);
    JET_ERR err = rc == 0 ? JET_errSuccess : os_err_from_errno(errno);
    os_crash_end(journal, rc == 0, OS_CJ_RMDIR, 0, path, NULL, 0, NULL, 0);
    return err;
}

int os_is_symlink(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

JET_ERR os_dir_sync(const char *dir)
{
    JET_ERR err = io_faults(OS_FAULT_SYNC, OS_FAULT_DIRSYNC, OS_FAULT_MUTATE);
    if (err < 0)
        return err;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return os_err_from_errno(errno);
    int journal = os_crash_begin();
    int rc = sync_full(fd);
    int e = errno;
    os_crash_end(journal, rc == 0, OS_CJ_DIRSYNC, 0, dir, NULL, 0, NULL, 0);
    close(fd);
    return rc == 0 ? JET_errSuccess : os_err_from_errno(e);
}

int os_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

JET_ERR os_list_dir(const char *dir, JET_ERR (*fn)(const char *name, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return os_err_from_errno(errno);
    JET_ERR err = JET_errSuccess;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        err = fn(de->d_name, ctx);
        if (err != JET_errSuccess)
            break;
    }
    closedir(d);
    return err;
}

/* ------------------------------------------------------------------------ */
/* CRC-32C (Castagnoli): hardware (3 interleaved streams) or slicing-by-8    */
/* ------------------------------------------------------------------------ */

/* Read-only after crc_init (run once, under crc_once): the slicing tables,
 * the "shift by n zero bytes" tables of the interleaved hardware path, and
 * the dispatch (crc_hw).  Nothing else here is mutable. */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OS_CRC_HW 1
/* The interleaved path cuts a buffer into rounds of 3 blocks of CRC_LONG
 * (then CRC_SHORT) bytes, one crc register per block, and joins the three
 * registers with crc_shift (linear in the register: 4 table lookups).  The
 * crc32 instruction has a latency of 3 cycles and a throughput of 1: three
 * independent chains keep it busy.  Block sizes are multiples of 8. */
#define CRC_LONG  1360   /* 3 x 1360 = 4080: a 4 KiB page's bytes 4.. in one round */
#define CRC_SHORT 256
static int      crc_hw;                  /* the CPU has SSE4.2 */
static uint32_t crc_long[4][256];        /* register -> register after CRC_LONG zero bytes */
static uint32_t crc_short[4][256];       /* ... after CRC_SHORT zero bytes */
#endif

#ifdef OS_CRC_HW
/* The crc register (no inversions) after n zero bytes, bytewise. */
static uint32_t crc_zeros_slow(uint32_t c, size_t n)
{
    while (n--)
        c = (c >> 8) ^ crc_table[0][c & 0xFF];
    return c;
}

static void crc_shift_table(uint32_t t[4][256], size_t n)
{
    /* linear: the image of each of the 32 basis registers, then every byte
     * value of every byte position as the xor of its bits' images */
    uint32_t basis[32];
    for (int b = 0; b < 32; b++)
        basis[b] = crc_zeros_slow(1u << b, n);
    for (int k = 0; k < 4; k++)
        for (uint32_t v = 0; v < 256; v++) {
            uint32_t r = 0;
            for (int b = 0; b < 8; b++)
                if (v & (1u << b))
                    r ^= basis[8 * k + b];
            t[k][v] = r;
        }
}

static inline uint32_t crc_shift(const uint32_t t[4][256], uint32_t c)
{
    return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
}
#endif

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
#ifdef OS_CRC_HW
    crc_shift_table(crc_long, CRC_LONG);
    crc_shift_table(crc_short, CRC_SHORT);
    __builtin_cpu_init();
    crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

#ifdef OS_CRC_HW
/* The SSE4.2 crc32 instruction computes CRC-32C: used when the CPU has it
 * (checked once), the tables otherwise.  Same results either way. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t cb)
{
    uint64_t c = ~crc;
    while (cb && ((uintptr_t)p & 7)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        cb--;
    }
    /* 3 streams: c over block 0, c1 over block 1, c2 over block 2; then
     * c = shift(shift(c) ^ c1) ^ c2 (the register is linear in its input) */
    while (cb >= 3 * CRC_LONG) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < CRC_LONG; i += 8) {
            c = __builtin_ia32_crc32di(c, le_get64(p + i));
            c1 = __builtin_ia32_crc32di(c1, le_get64(p + CRC_LONG + i));
            c2 = __builtin_ia32_crc32di(c2, le_get64(p + 2 * CRC_LONG + i));
        }
        c = crc_shift(crc_long, crc_shift(crc_long, (uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * CRC_LONG;
        cb -= 3 * CRC_LONG;
    }
    while (cb >= 3 * CRC_SHORT) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < CRC_SHORT; i += 8) {
            c = __builtin_ia32_crc32di(c, le_get64(p + i));
            c1 = __builtin_ia32_crc32di(c1, le_get64(p + CRC_SHORT + i));
            c2 = __builtin_ia32_crc32di(c2, le_get64(p + 2 * CRC_SHORT + i));
        }
        c = crc_shift(crc_short, crc_shift(crc_short, (uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * CRC_SHORT;
        cb -= 3 * CRC_SHORT;
    }
    while (cb >= 8) {
        c = __builtin_ia32_crc32di(c, le_get64(p));
        p += 8;
        cb -= 8;
    }
    while (cb--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#endif

uint32_t os_crc32c_portable(uint32_t crc, const void *buf, size_t cb)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = buf;
    crc = ~crc;
    while (cb && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
        cb--;
    }
    while (cb >= 8) {
        /* slicing-by-8 consumes the bytes in file order: little-endian */
        uint64_t v = le_get64(p) ^ crc;
        crc = crc_table[7][v & 0xFF] ^ crc_table[6][(v >> 8) & 0xFF] ^ crc_table[5][(v >> 16) & 0xFF] ^
              crc_table[4][(v >> 24) & 0xFF] ^ crc_table[3][(v >> 32) & 0xFF] ^ crc_table[2][(v >> 40) & 0xFF] ^
              crc_table[1][(v >> 48) & 0xFF] ^ crc_table[0][v >> 56];
        p += 8;
        cb -= 8;
    }
    while (cb--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

int os_crc32c_hardware(void)
{
    pthread_once(&crc_once, crc_init);
#ifdef OS_CRC_HW
    return crc_hw;
#else
    return 0;
#endif
}

uint32_t os_crc32c(uint32_t crc, const void *buf, size_t cb)
{
    pthread_once(&crc_once, crc_init);
#ifdef OS_CRC_HW
    if (crc_hw)
        return crc32c_hw(crc, buf, cb);
#endif
    return os_crc32c_portable(crc, buf, cb);
}

/* ------------------------------------------------------------------------ */
/* Named functions (ESENT's "dll!function" callbacks)                        */
/* ------------------------------------------------------------------------ */

JET_ERR os_dl_symbol(const char *szSpec, void **ppfn)
{
    if (szSpec == NULL || ppfn == NULL || szSpec[0] == '\0')
        return JET_errInvalidParameter;
    const char *bang = strrchr(szSpec, '!');
    const char *sym = bang ? bang + 1 : szSpec;
    void *h = RTLD_DEFAULT;
    if (bang) {
        size_t n = (size_t)(bang - szSpec);
        char lib[OS_PATH_MAX];
        if (n == 0 || n >= sizeof(lib) || *sym == '\0')
            return JET_errCallbackNotResolved;
        memcpy(lib, szSpec, n);
        lib[n] = '\0';
        /* The library stays loaded for the life of the process (as ESENT keeps
         * a callback's DLL): the function pointer handed out must stay valid. */
        h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL)
            return JET_errCallbackNotResolved;
    }
    void *pfn = dlsym(h, sym);
    if (pfn == NULL)
        return JET_errCallbackNotResolved;
    *ppfn = pfn;
    return JET_errSuccess;
}
