/*
 * os_unix.c -- the POSIX implementation of the OS layer (os.h).
 *
 * Owns: calls to malloc/free, getcwd, stat, mkdir, open/flock/close and
 * clock_gettime on behalf of the engine, and the allocation fault-injection
 * counters (the only process-wide mutable state outside the instance table:
 * a test hook, guarded by atomics).
 * Must not touch: engine structures; it reports failures as JET_ERR only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Memory with fault injection                                              */
/* ------------------------------------------------------------------------ */

/* Invariant: fault_countdown == 0 means injection is off; otherwise the
 * allocation that decrements it to 0 fails (and, when fault_persistent, all
 * later ones too, until os_fault_alloc(0, 0)). */
static _Atomic uint32_t fault_countdown;
static _Atomic int      fault_persistent;
static _Atomic int      fault_tripped;
static _Atomic uint32_t fault_hits;

static int fault_should_fail(void)
{
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
    atomic_store(&fault_tripped, 0);
    atomic_store(&fault_persistent, persistent ? 1 : 0);
    atomic_store(&fault_countdown, n);
    if (n == 0)
        atomic_store(&fault_hits, 0);
}

uint32_t os_fault_alloc_hits(void)
{
    return atomic_load(&fault_hits);
}

void *os_malloc(size_t cb)
{
    if (fault_should_fail())
        return NULL;
    return malloc(cb ? cb : 1);
}

void *os_calloc(size_t n, size_t cb)
{
    if (fault_should_fail())
        return NULL;
    return calloc(n ? n : 1, cb ? cb : 1);
}

void *os_realloc(void *pv, size_t cb)
{
    if (fault_should_fail())
        return NULL;
    return realloc(pv, cb ? cb : 1);
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
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
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
