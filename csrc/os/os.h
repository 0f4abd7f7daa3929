/*
 * os.h -- the OS layer: the one place where esepy touches the operating system
 * for memory, paths, files, locks, threads, time and randomness.
 *
 * Owns: translating errno into JET_ERR codes, path normalisation, advisory
 * locks that keep two processes off one log stream, and the test hooks that
 * tests drive through esepy_ext.h (EsepyTest*): fault injection and call
 * counters (os_unix.c) and the crash-simulation journal (os_crash.c).
 * Must not touch: anything above it (cache, log, btree, isam, api).  It knows
 * JET_ERR values (from esent.h) and nothing else of the engine.
 *
 * Every function returns JET_errSuccess or a JET error; out-parameters are
 * written only on success.
 */
#ifndef ESEPY_OS_H
#define ESEPY_OS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "esent.h"
#include "lockorder.h"

/* Maximum length of a normalised absolute path, NUL included. */
#define OS_PATH_MAX 4096

/* ---- memory (all engine allocations go through these) ------------------ */
void *os_malloc(size_t cb);
void *os_calloc(size_t n, size_t cb);
void *os_realloc(void *pv, size_t cb);
/* Memory aligned to `align` (a power of two >= sizeof(void *)); freed with os_free. */
void *os_malloc_aligned(size_t align, size_t cb);
char *os_strdup(const char *sz);
void  os_free(void *pv);

/* ---- paths --------------------------------------------------------------- */

/* Make `path` absolute (relative to the working directory) and lexically
 * normalised: no "." or ".." components, no repeated or trailing '/'.
 * JET_errInvalidPath if empty, too long or the cwd cannot be read. */
JET_ERR os_path_absolute(const char *path, char *out, size_t cbOut);

/* 1 if `path` names an existing directory, 0 otherwise. */
int os_is_dir(const char *path);

/* Create directory `path` and any missing parents (mode 0777 & umask).
 * JET_errInvalidPath if a component exists and is not a directory,
 * JET_errFileAccessDenied on permission errors. */
JET_ERR os_mkdir_p(const char *path);

/* ---- advisory locks on directories ------------------------------------- */

typedef struct os_lock os_lock;

/* Take an exclusive, non-blocking advisory lock on directory `dir` (held by
 * this open file description: another process, or another lock in this
 * process, is refused).  Returns JET_errFileAccessDenied when it is held
 * elsewhere; *pplock receives the lock on success. */
JET_ERR os_lock_dir(const char *dir, os_lock **pplock);
void    os_unlock(os_lock *plock);

/* ---- files ----------------------------------------------------------------- */

typedef struct os_file os_file;

#define OS_FILE_READ     0x0001 /* open for reading */
#define OS_FILE_WRITE    0x0002 /* open for reading and writing */
#define OS_FILE_CREATE   0x0004 /* create; fail with JET_errFileAlreadyExists if it exists */
#define OS_FILE_TRUNCATE 0x0008 /* create or truncate to zero */
#define OS_FILE_LOCK     0x0010 /* take an exclusive advisory lock (flock, non-blocking);
                                 * held elsewhere -> JET_errFileAccessDenied */
#define OS_FILE_DIRECT   0x0020 /* bypass the OS page cache where the file system allows
                                 * (O_DIRECT; F_NOCACHE on macOS); every read/write must then use buffers from
                                 * os_malloc_aligned(4096, ...), offsets and sizes that are
                                 * multiples of 4096 */
#define OS_FILE_NOFOLLOW 0x0040 /* never through a symbolic link: when the last component
                                 * of `path` is a link (dangling or not) the open fails with
                                 * JET_errInvalidPath and the link's target is untouched
                                 * (O_NOFOLLOW; with CREATE, O_EXCL already refuses it).
                                 * The folders above it are the caller's choice and are
                                 * followed. */

/* Open `path`.  Missing file (without CREATE/TRUNCATE) -> JET_errFileNotFound;
 * permission -> JET_errFileAccessDenied; a folder -> JET_errInvalidPath;
 * with OS_FILE_NOFOLLOW, a symbolic link -> JET_errInvalidPath. */
JET_ERR os_file_open(const char *path, uint32_t flags, os_file **ppf);
/* Close (releases the lock).  NULL is allowed. */
void    os_file_close(os_file *pf);
/* Read up to cb bytes at off.  With pcbRead, *pcbRead < cb only at end of file;
 * with pcbRead NULL a short read is JET_errFileIOBeyondEOF.  EIO -> JET_errDiskIO. */
JET_ERR os_file_read(os_file *pf, uint64_t off, void *buf, size_t cb, size_t *pcbRead);
/* Write all cb bytes at off (extends the file as needed).  ENOSPC -> JET_errDiskFull. */
JET_ERR os_file_write(os_file *pf, uint64_t off, const void *buf, size_t cb);
/* Copy cb bytes of src at offSrc to dst at offDst without a bounce through
 * user space where the kernel can (Linux copy_file_range), else through a
 * buffer (another system, another file system, or while the crash journal
 * records: the journal needs the bytes, each chunk becomes a WRITE entry).
 * *pcbCopied < cb only at the end of src; with pcbCopied NULL a short copy is
 * JET_errFileIOBeyondEOF.  Fault injection: the call counts as a READ, a
 * WRITE and a MUTATE (not a PWRITE); an armed kind fails it before anything
 * is copied.  EIO -> JET_errDiskIO, ENOSPC -> JET_errDiskFull.  Not durable
 * until os_file_sync(dst). */
JET_ERR os_file_copy(os_file *src, uint64_t offSrc, os_file *dst, uint64_t offDst, size_t cb, size_t *pcbCopied);
/* Make everything written so far durable (fdatasync). */
JET_ERR os_file_sync(os_file *pf);
JET_ERR os_file_size(os_file *pf, uint64_t *pcb);
/* Set the size (shrink or extend with zeros). */
JET_ERR os_file_truncate(os_file *pf, uint64_t cb);
/* Extend to at least cb bytes with allocated (not sparse) zeroed space. */
JET_ERR os_file_allocate(os_file *pf, uint64_t cb);
const char *os_file_path(const os_file *pf);

/* Atomically rename (replacing `to`).  Call os_dir_sync on the folder after. */
JET_ERR os_rename(const char *from, const char *to);
/* Delete a file; a missing file -> JET_errFileNotFound. */
JET_ERR os_unlink(const char *path);
/* Remove an empty folder. */
JET_ERR os_rmdir(const char *path);
/* 1 if `path` is a symbolic link (not followed). */
int     os_is_symlink(const char *path);
/* fsync a folder so that creations, renames and deletions in it are durable. */
JET_ERR os_dir_sync(const char *dir);
/* 1 if `path` exists (any type), 0 if not. */
int     os_exists(const char *path);
/* Call fn(name, ctx) for each entry of `dir` (not "." / ".."); a non-zero
 * return from fn stops the walk and is returned as the JET_ERR. */
JET_ERR os_list_dir(const char *dir, JET_ERR (*fn)(const char *name, void *ctx), void *ctx);

/* ---- checksums ---------------------------------------------------------- */

/* CRC-32C (Castagnoli) of buf, continuing from `crc` (start with 0). */
uint32_t os_crc32c(uint32_t crc, const void *buf, size_t cb);
/* The same, always by the portable tables (tests compare the two paths). */
uint32_t os_crc32c_portable(uint32_t crc, const void *buf, size_t cb);
/* 1 if os_crc32c uses the CPU's crc32 instruction (decided once). */
int      os_crc32c_hardware(void);

/* ---- time ---------------------------------------------------------------- */
void os_logtime_now(JET_LOGTIME *plt);
/* Wall-clock time in microseconds since 1970-01-01 UTC. */
int64_t os_time_us(void);
/* A JET_LOGTIME (UTC, or local time when !fTimeIsUTC) as microseconds since
 * 1970-01-01 UTC; JET_errInvalidParameter when a field is out of range. */
JET_ERR os_logtime_to_us(const JET_LOGTIME *plt, int64_t *pus);
/* Monotonic time in microseconds (an arbitrary origin; never goes back). */
int64_t os_monotonic_us(void);
/* Sleep the calling thread for at least cmsec milliseconds. */
void    os_sleep_ms(uint32_t cmsec);

/* ---- randomness and identity --------------------------------------------- */

/* Fill pv with cb unpredictable bytes (the kernel's generator; if it cannot be
 * read, a mix of clocks, the process id and addresses -- never fails). */
void os_random_bytes(void *pv, size_t cb);
/* This computer's name, NUL-terminated and cut to cbOut - 1 bytes ("" if unknown). */
void os_host_name(char *out, size_t cbOut);

/* ---- threads and locks (os_thread.c) -------------------------------------- *
 *
 * Every mutex and rwlock has a name and a rank from lockorder.h.  In debug
 * builds (ESEPY_LOCK_CHECK: on unless NDEBUG, off with -DESEPY_LOCK_CHECK=0)
 * each thread keeps the list of locks it holds; taking a lock whose rank is
 * not above every lock the thread holds aborts with both names (trylock is not
 * checked: it cannot deadlock), and os_mutex_assert_held / os_rwlock_assert_held
 * abort when the calling thread does not hold the lock.  Release builds keep
 * the names and ranks (the layout does not depend on the build) and check
 * nothing.  Waiting on a condition releases the mutex and retakes it (checked
 * again).  Lock and unlock cannot fail on a valid lock (the engine never locks
 * recursively); init fails only for lack of memory. */
#ifndef ESEPY_LOCK_CHECK
#ifdef NDEBUG
#define ESEPY_LOCK_CHECK 0
#else
#define ESEPY_LOCK_CHECK 1
#endif
#endif

typedef struct os_mutex {
    pthread_mutex_t m;
    const char     *name;
    int             rank;
} os_mutex_t;

typedef struct os_rwlock {
    pthread_rwlock_t rw;
    const char      *name;
    int              rank;
} os_rwlock_t;

typedef struct os_cond {
    pthread_cond_t c;
} os_cond_t;

typedef struct os_thread {
    pthread_t t;
} os_thread_t;

/* Static initialisers (nothing to destroy). */
#define OS_MUTEX_INIT(name, rank)  { PTHREAD_MUTEX_INITIALIZER, (name), (rank) }
#define OS_RWLOCK_INIT(name, rank) { PTHREAD_RWLOCK_INITIALIZER, (name), (rank) }
#define OS_COND_INIT               { PTHREAD_COND_INITIALIZER }

JET_ERR os_mutex_init(os_mutex_t *pm, const char *name, int rank);
void    os_mutex_destroy(os_mutex_t *pm);
void    os_mutex_lock(os_mutex_t *pm);
/* 1 if taken, 0 if another thread holds it. */
int     os_mutex_trylock(os_mutex_t *pm);
void    os_mutex_unlock(os_mutex_t *pm);

JET_ERR os_rwlock_init(os_rwlock_t *prw, const char *name, int rank);
void    os_rwlock_destroy(os_rwlock_t *prw);
void    os_rwlock_rdlock(os_rwlock_t *prw);
void    os_rwlock_wrlock(os_rwlock_t *prw);
void    os_rwlock_unlock(os_rwlock_t *prw);

JET_ERR os_cond_init(os_cond_t *pc);
void    os_cond_destroy(os_cond_t *pc);
/* Release pm (held), sleep until signalled, retake pm. */
void    os_cond_wait(os_cond_t *pc, os_mutex_t *pm);
/* Like os_cond_wait, but also returns after about cmsec milliseconds (or
 * spuriously): callers re-check their condition and deadline. */
void    os_cond_wait_ms(os_cond_t *pc, os_mutex_t *pm, uint32_t cmsec);
void    os_cond_signal(os_cond_t *pc);
void    os_cond_broadcast(os_cond_t *pc);

/* Start fn(arg) on a new thread; JET_errOutOfMemory if the system refuses. */
JET_ERR os_thread_create(os_thread_t *pt, void *(*fn)(void *), void *arg);
/* Wait for the thread to end; its fn's return value in *ppvRet if not NULL. */
void    os_thread_join(os_thread_t t, void **ppvRet);
/* The calling thread (compare with os_thread_is_self). */
os_thread_t os_thread_self(void);
int     os_thread_is_self(os_thread_t t);

/* Debug checks (abort with the lock's name; nothing in release builds). */
void    os_lock_check_held(const void *plock, const char *name, const char *what);
#if ESEPY_LOCK_CHECK
#define os_mutex_assert_held(pm)   os_lock_check_held((pm), (pm)->name, "mutex")
#define os_rwlock_assert_held(prw) os_lock_check_held((prw), (prw)->name, "rwlock")
#else
#define os_mutex_assert_held(pm)   ((void)(pm))
#define os_rwlock_assert_held(prw) ((void)(prw))
#endif
/* Locks the calling thread holds (always 0 without ESEPY_LOCK_CHECK). */
int     os_lock_held_count(void);

/* Page latches in the lock order (lockorder.h, LOCK_RANK_LATCH).  The cache
 * calls OS_LATCH_TAKEN when it grants the calling thread a page latch (or
 * marks a frame fWriting for it), OS_LATCH_RELEASED when the thread gives it
 * up, and OS_LATCH_BEFORE_WAIT before it may wait for one.  Debug builds
 * count the thread's latches: taking a lock ranked at or below
 * LOCK_RANK_LATCH with a latch held, waiting for a latch with a lock ranked
 * above it held, or releasing a latch the thread does not hold aborts.
 * Release builds do nothing. */
void    os_latch_taken(void);
void    os_latch_released(void);
void    os_latch_before_wait(void);
/* Page latches the calling thread holds (always 0 without ESEPY_LOCK_CHECK). */
int     os_latch_held_count(void);
#if ESEPY_LOCK_CHECK
#define OS_LATCH_TAKEN()       os_latch_taken()
#define OS_LATCH_RELEASED()    os_latch_released()
#define OS_LATCH_BEFORE_WAIT() os_latch_before_wait()
#else
#define OS_LATCH_TAKEN()       ((void)0)
#define OS_LATCH_RELEASED()    ((void)0)
#define OS_LATCH_BEFORE_WAIT() ((void)0)
#endif

/* ---- errno translation --------------------------------------------------- */
JET_ERR os_err_from_errno(int e);
/* Resolve ESENT's "library!function" callback name: the library is dlopen'ed
 * (a path or a name the dynamic loader searches; it stays loaded) and the
 * function looked up in it; a name without '!' is looked up among the
 * process's loaded objects.  JET_errCallbackNotResolved if either fails. */
JET_ERR os_dl_symbol(const char *szSpec, void **ppfn);

/* ---- fault injection (test hooks; see EsepyTestFailAllocation) ---------- */

/* Fail the n-th allocation from now (n >= 1) and, if `persistent`, every one
 * after it; n = 0 disables injection.  Returns the count of allocations failed
 * so far by injection. */
void     os_fault_alloc(uint32_t n, int persistent);
uint32_t os_fault_alloc_hits(void);
/* Blocks allocated through this layer and not yet freed (leak checks). */
int64_t  os_alloc_live(void);

/* Allocations made (os_malloc & co.) since the first call of any os_fault_*
 * hook (os_unix.c H1: until then nothing is counted; read differences),
 * whether or not injection is on. */
uint64_t os_fault_alloc_count(void);

/* I/O fault injection: fail the n-th call of `kind` from now with `err` (and,
 * if persistent, every later one); n = 0 disables that kind.  One call may
 * belong to several kinds (an os_rename is WRITE, RENAME and MUTATE); each of
 * its kinds counts it and the first armed kind that trips fails it.  The
 * kinds match ESEPY_IO_* in esepy_ext.h. */
#define OS_FAULT_READ     0  /* os_file_read */
#define OS_FAULT_WRITE    1  /* os_file_write, _truncate, _allocate, os_rename */
#define OS_FAULT_SYNC     2  /* os_file_sync, os_dir_sync */
#define OS_FAULT_PWRITE   3  /* os_file_write only */
#define OS_FAULT_FSYNC    4  /* os_file_sync only */
#define OS_FAULT_RENAME   5
#define OS_FAULT_UNLINK   6
#define OS_FAULT_TRUNCATE 7
#define OS_FAULT_DIRSYNC  8
#define OS_FAULT_ALLOCATE 9  /* os_file_allocate (file space, not memory) */
#define OS_FAULT_MUTATE   10 /* any call that changes the file system: write, sync,
                              * rename, unlink, truncate, allocate, folder sync */
#define OS_FAULT_KINDS    11
void     os_fault_io(int kind, uint32_t n, int persistent, JET_ERR err);
/* How many calls of `kind` injection failed since os_fault_io last armed it. */
uint32_t os_fault_io_hits(int kind);
/* Calls of `kind` seen since the first call of any os_fault_* hook (H1;
 * injected failures included). */
uint64_t os_fault_count(int kind);

/* ---- crash simulation journal (os_crash.c; a test hook) ------------------ */

/* Journal operations (byte 0 of an entry; layout at the top of os_crash.c). */
#define OS_CJ_OPEN     1  /* file id, path, flags: an open for writing */
#define OS_CJ_WRITE    2  /* file id, offset, data */
#define OS_CJ_SYNC     3  /* file id */
#define OS_CJ_TRUNCATE 4  /* file id, size */
#define OS_CJ_ALLOCATE 5  /* file id, size (extend with zeros) */
#define OS_CJ_RENAME   6  /* path -> path2 */
#define OS_CJ_UNLINK   7  /* path */
#define OS_CJ_DIRSYNC  8  /* path (a folder) */
#define OS_CJ_MKDIR    9  /* path */
#define OS_CJ_RMDIR    10 /* path */
#define OS_CJ_MARK     11 /* a test's marker, tag in the offset field */
#define OS_CJ_SYNCFAIL 12 /* file id: an fdatasync that failed (injected or real) */

/* on > 0: start recording into an empty journal; 0: stop (the journal stays
 * readable); < 0: stop and free it. */
void    os_crash_record(int on);
int     os_crash_recording(void);
/* Append a marker (only while recording). */
void    os_crash_mark(uint64_t tag);
/* Copy the journal into pv (cbMax bytes); *pcbActual = its size.  pv NULL asks
 * for the size; JET_errBufferTooSmall if cbMax is short; JET_errOutOfMemory if
 * the journal overflowed (recording stopped early). */
JET_ERR os_crash_read(void *pv, size_t cbMax, uint64_t *pcbActual);
/* Used by os_unix.c around each state-changing call: begin returns 1 (and
 * holds the journal lock) while recording; end appends the entry if ok and
 * releases the lock. */
int     os_crash_begin(void);
void    os_crash_end(int held, int ok, int op, uint32_t fid, const char *path, const char *path2, uint64_t off,
                     const void *data, uint64_t cbData);

#endif /* ESEPY_OS_H */
