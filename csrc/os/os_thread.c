/*
 * os_thread.c -- threads, locks, monotonic time, sleeping and randomness for
 * the engine (os.h), and the debug builds' lock checker.
 *
 * Owns: every call to pthread_*, nanosleep, clock_gettime(CLOCK_MONOTONIC; CLOCK_REALTIME
 * only for the deadline of a timed condition wait),
 * getrandom / /dev/urandom and gethostname on behalf of the engine; the
 * per-thread list of held locks in debug builds (ESEPY_LOCK_CHECK), which is
 * thread-local state, not shared, and checks the order of lockorder.h.
 * Must not touch: engine structures; a lock is a name, a rank and a pthread
 * object to it.
 *
 * Invariant T1 (ESEPY_LOCK_CHECK): held[0..cheld) lists the mutexes and
 * rwlocks (shared or exclusive) this thread holds, in the order it took them;
 * every successful lock adds its entry, every unlock removes it, a condition
 * wait removes and re-adds it around the sleep.
 *
 * Invariant T2 (ESEPY_LOCK_CHECK): clatch is the number of page latches
 * (and write-back fWriting marks) the cache has granted this thread and it has
 * not released (os_latch_taken / os_latch_released).  While it is not zero no
 * lock of rank <= LOCK_RANK_LATCH may be taken (check_order), and no latch
 * may be waited for while a lock ranked above LOCK_RANK_LATCH is held
 * (os_latch_before_wait): latches are leaf-level below the isam locks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Lock checking (debug builds)                                             */
/* ------------------------------------------------------------------------ */

#define HELD_MAX 32

typedef struct held_lock {
    const void *plock;
    const char *name;
    int         rank;
} held_lock;

static _Thread_local held_lock held[HELD_MAX]; /* T1 */
static _Thread_local int       cheld;
static _Thread_local int       clatch; /* T2 */

/* Print "esepy: lock check: <message>" and abort (debug builds). */
static void __attribute__((unused, format(printf, 1, 2))) lock_abort(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "esepy: lock check: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fflush(stderr);
    abort();
}

#if ESEPY_LOCK_CHECK
/* Before waiting for plock: no held lock may rank at or above it. */
static void check_order(const void *plock, const char *name, int rank)
{
    if (clatch > 0 && rank <= LOCK_RANK_LATCH)
        lock_abort("lock order violated: taking %s (rank %d) while holding %d page latch(es) (rank %d): "
                   "latches are leaf-level, release them first",
                   name, rank, clatch, LOCK_RANK_LATCH);
    for (int i = 0; i < cheld; i++) {
        if (held[i].plock == plock)
            lock_abort("taking %s (rank %d) again while holding it", name, rank);
        if (held[i].rank >= rank)
            lock_abort("lock order violated: taking %s (rank %d) while holding %s (rank %d)", name, rank,
                       held[i].name, held[i].rank);
    }
}

static void held_push(const void *plock, const char *name, int rank)
{
    if (cheld == HELD_MAX)
        lock_abort("more than %d locks held by one thread, taking %s (rank %d)", HELD_MAX, name, rank);
    held[cheld].plock = plock;
    held[cheld].name = name;
    held[cheld].rank = rank;
    cheld++;
}

static void held_pop(const void *plock, const char *name)
{
    for (int i = cheld - 1; i >= 0; i--) {
        if (held[i].plock == plock) {
            memmove(&held[i], &held[i + 1], (size_t)(cheld - i - 1) * sizeof(held[0]));
            cheld--;
            return;
        }
    }
    lock_abort("releasing %s, which this thread does not hold", name);
}
#endif

void os_lock_check_held(const void *plock, const char *name, const char *what)
{
    if (!ESEPY_LOCK_CHECK)
        return; /* this file was built without the list (a caller built with it) */
    for (int i = 0; i < cheld; i++)
        if (held[i].plock == plock)
            return;
    lock_abort("%s %s is not held by this thread", what, name ? name : "?");
}

int os_lock_held_count(void)
{
    return cheld;
}

void os_latch_taken(void)
{
#if ESEPY_LOCK_CHECK
    clatch++;
#endif
}

void os_latch_released(void)
{
#if ESEPY_LOCK_CHECK
    if (clatch == 0)
        lock_abort("releasing a page latch, but this thread holds none");
    clatch--;
#endif
}

void os_latch_before_wait(void)
{
#if ESEPY_LOCK_CHECK
    for (int i = 0; i < cheld; i++)
        if (held[i].rank > LOCK_RANK_LATCH)
            lock_abort("lock order violated: waiting for a page latch (rank %d) while holding %s (rank %d)",
                       LOCK_RANK_LATCH, held[i].name, held[i].rank);
#endif
}

int os_latch_held_count(void)
{
    return clatch;
}

#if ESEPY_LOCK_CHECK
#define BEFORE_WAIT(p, n, r) check_order((p), (n), (r))
#define TAKEN(p, n, r)       held_push((p), (n), (r))
#define RELEASED(p, n)       held_pop((p), (n))
#else
#define BEFORE_WAIT(p, n, r) ((void)0)
#define TAKEN(p, n, r)       ((void)0)
#define RELEASED(p, n)       ((void)0)
#endif

/* ------------------------------------------------------------------------ */
/* Mutexes, rwlocks, conditions                                             */
/* ------------------------------------------------------------------------ */

JET_ERR os_mutex_init(os_mutex_t *pm, const char *name, int rank)
{
    pm->name = name;
    pm->rank = rank;
    return pthread_mutex_init(&pm->m, NULL) == 0 ? JET_errSuccess : JET_errOutOfMemory;
}

void os_mutex_destroy(os_mutex_t *pm)
{
    pthread_mutex_destroy(&pm->m);
}

void os_mutex_lock(os_mutex_t *pm)
{
    BEFORE_WAIT(pm, pm->name, pm->rank);
    pthread_mutex_lock(&pm->m);
    TAKEN(pm, pm->name, pm->rank);
}

int os_mutex_trylock(os_mutex_t *pm)
{
    if (pthread_mutex_trylock(&pm->m) != 0)
        return 0;
    TAKEN(pm, pm->name, pm->rank);
    return 1;
}

void os_mutex_unlock(os_mutex_t *pm)
{
    RELEASED(pm, pm->name);
    pthread_mutex_unlock(&pm->m);
}

JET_ERR os_rwlock_init(os_rwlock_t *prw, const char *name, int rank)
{
    prw->name = name;
    prw->rank = rank;
    return pthread_rwlock_init(&prw->rw, NULL) == 0 ? JET_errSuccess : JET_errOutOfMemory;
}

void os_rwlock_destroy(os_rwlock_t *prw)
{
    pthread_rwlock_destroy(&prw->rw);
}

void os_rwlock_rdlock(os_rwlock_t *prw)
{
    BEFORE_WAIT(prw, prw->name, prw->rank);
    pthread_rwlock_rdlock(&prw->rw);
    TAKEN(prw, prw->name, prw->rank);
}

void os_rwlock_wrlock(os_rwlock_t *prw)
{
    BEFORE_WAIT(prw, prw->name, prw->rank);
    pthread_rwlock_wrlock(&prw->rw);
    TAKEN(prw, prw->name, prw->rank);
}

void os_rwlock_unlock(os_rwlock_t *prw)
{
    RELEASED(prw, prw->name);
    pthread_rwlock_unlock(&prw->rw);
}

JET_ERR os_cond_init(os_cond_t *pc)
{
    return pthread_cond_init(&pc->c, NULL) == 0 ? JET_errSuccess : JET_errOutOfMemory;
}

void os_cond_destroy(os_cond_t *pc)
{
    pthread_cond_destroy(&pc->c);
}

void os_cond_wait(os_cond_t *pc, os_mutex_t *pm)
{
    RELEASED(pm, pm->name);
    pthread_cond_wait(&pc->c, &pm->m);
    BEFORE_WAIT(pm, pm->name, pm->rank); /* retaken: as if taken now */
    TAKEN(pm, pm->name, pm->rank);
}

void os_cond_wait_ms(os_cond_t *pc, os_mutex_t *pm, uint32_t cmsec)
{
    /* The condition variable uses the wall clock; a clock jump only changes
     * how long this sleeps, and callers re-check their own deadline. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(cmsec / 1000);
    ts.tv_nsec += (long)(cmsec % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    RELEASED(pm, pm->name);
    (void)pthread_cond_timedwait(&pc->c, &pm->m, &ts);
    BEFORE_WAIT(pm, pm->name, pm->rank);
    TAKEN(pm, pm->name, pm->rank);
}

void os_cond_signal(os_cond_t *pc)
{
    pthread_cond_signal(&pc->c);
}

void os_cond_broadcast(os_cond_t *pc)
{
    pthread_cond_broadcast(&pc->c);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

JET_ERR os_thread_create(os_thread_t *pt, void *(*fn)(void *), void *arg)
{
    return pthread_create(&pt->t, NULL, fn, arg) == 0 ? JET_errSuccess : JET_errOutOfMemory;
}

void os_thread_join(os_thread_t t, void **ppvRet)
{
    void *pv = NULL;
    pthread_join(t.t, &pv);
    if (ppvRet)
        *ppvRet = pv;
}

os_thread_t os_thread_self(void)
{
    os_thread_t t;
    t.t = pthread_self();
    return t;
}

int os_thread_is_self(os_thread_t t)
{
    return pthread_equal(t.t, pthread_self()) != 0;
}

/* ------------------------------------------------------------------------ */
/* Time, sleep, randomness, host name                                       */
/* ------------------------------------------------------------------------ */

int64_t os_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void os_sleep_ms(uint32_t cmsec)
{
    struct timespec ts = { (time_t)(cmsec / 1000), (long)(cmsec % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void os_random_bytes(void *pv, size_t cb)
{
    unsigned char *p = pv;
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while (got < cb) {
            ssize_t n = read(fd, p + got, cb - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
    }
    if (got == cb)
        return;
    /* No kernel generator: mix what varies (never fails). */
    struct {
        int64_t wall, mono;
        clock_t clk;
        pid_t   pid;
        void   *addr;
        size_t  i;
    } mix;
    for (size_t i = got; i < cb; i += 4) {
        memset(&mix, 0, sizeof(mix));
        mix.wall = os_time_us();
        mix.mono = os_monotonic_us();
        mix.clk = clock();
        mix.pid = getpid();
        mix.addr = &mix;
        mix.i = i;
        uint32_t r = os_crc32c(0x9E3779B9u, &mix, sizeof(mix));
        size_t n = cb - i < 4 ? cb - i : 4;
        memcpy(p + i, &r, n);
    }
}

void os_host_name(char *out, size_t cbOut)
{
    if (cbOut == 0)
        return;
    out[0] = '\0';
    if (gethostname(out, cbOut - 1) != 0)
        out[0] = '\0';
    out[cbOut - 1] = '\0';
}
