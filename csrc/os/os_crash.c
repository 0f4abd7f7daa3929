/*
 * os_crash.c -- the crash-simulation journal of the OS layer (a test hook).
 *
 * Owns: an in-memory journal of every state-changing file-system call the
 * engine makes through os.h (opens for writing, writes with their data,
 * fdatasyncs, truncations, allocations, renames, unlinks, folder syncs,
 * folder creations and removals) plus markers the tests insert, in the order
 * the calls reached the operating system; and its lock.  Off by default:
 * when not recording, os_crash_begin() is one atomic load and nothing else
 * happens.
 * Must not touch: anything above the OS layer.  It never calls upward and
 * knows nothing of databases or logs: the journal is raw calls; the tests
 * (tests/crash/crashsim.py) replay it into a model of a disk that keeps a
 * durable image and pending (unsynced) changes per file, and materialise the
 * files a power cut at any journal position could leave (docs/reliability.md,
 * "Crash simulation").  The write-ahead checker also runs on the journal, on
 * the test side: it reads page lsns out of database writes and log
 * generations out of log headers, so no engine layer has to tell the OS layer
 * anything.
 *
 * Journal entry (little-endian, 32-byte header, then path, path2, data):
 *        0  u8   op (OS_CJ_*)
 *        1  u8[3] zero
 *        4  u32  file id (os_file_id) for OPEN/WRITE/SYNC/TRUNCATE/ALLOCATE
 *        8  u64  offset (WRITE), open flags (OPEN), new size (TRUNCATE,
 *                ALLOCATE), tag (MARK)
 *       16  u64  data length (WRITE)
 *       24  u32  length of path (no NUL)
 *       28  u32  length of path2 (RENAME target; else 0)
 *
 * Invariants:
 *   J1. An entry is appended only after its call succeeded (a failed
 *       fdatasync is appended as OS_CJ_SYNCFAIL), and while the journal lock
 *       is held across the call itself, so the journal order is the order in
 *       which calls changed the file system.
 *   J2. If the journal cannot grow, recording stops and `overflow` is set:
 *       the journal then ends early and os_crash_read reports it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "le.h"
#include "os.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static os_mutex_t cj_lock = OS_MUTEX_INIT("os.crash.journal", LOCK_RANK_OS_CRASH);
static _Atomic int     cj_recording;
/* Under cj_lock: */
static unsigned char  *cj_buf;
static size_t          cj_cb, cj_cbMax;
static uint64_t        cj_ops;
static int             cj_overflow;

void os_crash_record(int on)
{
    os_mutex_lock(&cj_lock);
    if (on != 0) { /* 1: start afresh; -1: stop and free */
        free(cj_buf); /* libc directly: journal memory must not count or fail as engine allocations */
        cj_buf = NULL;
        cj_cb = cj_cbMax = 0;
        cj_ops = 0;
        cj_overflow = 0;
    }
    atomic_store(&cj_recording, on > 0 ? 1 : 0);
    os_mutex_unlock(&cj_lock);
}

int os_crash_recording(void)
{
    return atomic_load(&cj_recording);
}

int os_crash_begin(void)
{
    if (!atomic_load_explicit(&cj_recording, memory_order_relaxed))
        return 0;
    os_mutex_lock(&cj_lock);
    if (!atomic_load(&cj_recording)) {
        os_mutex_unlock(&cj_lock);
        return 0;
    }
    return 1;
}

void os_crash_end(int held, int ok, int op, uint32_t fid, const char *path, const char *path2, uint64_t off,
                  const void *data, uint64_t cbData)
{
    if (!held)
        return;
    if (ok && !cj_overflow) {
        size_t cbPath = path ? strlen(path) : 0, cbPath2 = path2 ? strlen(path2) : 0;
        size_t need = 32 + cbPath + cbPath2 + (size_t)cbData;
        if (cj_cb + need > cj_cbMax) {
            size_t cbNew = cj_cbMax ? cj_cbMax : (size_t)1 << 20;
            while (cbNew < cj_cb + need)
                cbNew *= 2;
            unsigned char *p = realloc(cj_buf, cbNew);
            if (p == NULL) {
                cj_overflow = 1;
                atomic_store(&cj_recording, 0);
                os_mutex_unlock(&cj_lock);
                return;
            }
            cj_buf = p;
            cj_cbMax = cbNew;
        }
        unsigned char *e = cj_buf + cj_cb;
        memset(e, 0, 32);
        e[0] = (unsigned char)op;
        le_put32(e + 4, fid);
        le_put64(e + 8, off);
        le_put64(e + 16, cbData);
        le_put32(e + 24, (uint32_t)cbPath);
        le_put32(e + 28, (uint32_t)cbPath2);
        if (cbPath)
            memcpy(e + 32, path, cbPath);
        if (cbPath2)
            memcpy(e + 32 + cbPath, path2, cbPath2);
        if (cbData)
            memcpy(e + 32 + cbPath + cbPath2, data, (size_t)cbData);
        cj_cb += need;
        cj_ops++;
    }
    os_mutex_unlock(&cj_lock);
}

void os_crash_mark(uint64_t tag)
{
    int held = os_crash_begin();
    os_crash_end(held, 1, OS_CJ_MARK, 0, NULL, NULL, tag, NULL, 0);
}

JET_ERR os_crash_read(void *pv, size_t cbMax, uint64_t *pcbActual)
{
    os_mutex_lock(&cj_lock);
    JET_ERR err = cj_overflow ? JET_errOutOfMemory : JET_errSuccess;
    if (pcbActual)
        *pcbActual = cj_cb;
    if (err == JET_errSuccess && pv != NULL) {
        if (cbMax < cj_cb)
            err = JET_errBufferTooSmall;
        else if (cj_cb)
            memcpy(pv, cj_buf, cj_cb);
    }
    os_mutex_unlock(&cj_lock);
    return err;
}
