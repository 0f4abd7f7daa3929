/*
 * os.h -- the OS layer: the one place where esepy touches the operating system
 * for memory, paths, files, locks and time.
 *
 * Owns: translating errno into JET_ERR codes, path normalisation, advisory
 * locks that keep two processes off one log stream, and the fault-injection
 * hooks that tests drive through esepy_ext.h (EsepyTest*).
 * Must not touch: anything above it (cache, log, btree, isam, api).  It knows
 * JET_ERR values (from esent.h) and nothing else of the engine.
 *
 * Every function returns JET_errSuccess or a JET error; out-parameters are
 * written only on success.
 */
#ifndef ESEPY_OS_H
#define ESEPY_OS_H

#include <stddef.h>
#include <stdint.h>
#include "esent.h"

/* Maximum length of a normalised absolute path, NUL included. */
#define OS_PATH_MAX 4096

/* ---- memory (all engine allocations go through these) ------------------ */
void *os_malloc(size_t cb);
void *os_calloc(size_t n, size_t cb);
void *os_realloc(void *pv, size_t cb);
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

/* ---- time ---------------------------------------------------------------- */
void os_logtime_now(JET_LOGTIME *plt);

/* ---- errno translation --------------------------------------------------- */
JET_ERR os_err_from_errno(int e);

/* ---- fault injection (test hooks; see EsepyTestFailAllocation) ---------- */

/* Fail the n-th allocation from now (n >= 1) and, if `persistent`, every one
 * after it; n = 0 disables injection.  Returns the count of allocations failed
 * so far by injection. */
void     os_fault_alloc(uint32_t n, int persistent);
uint32_t os_fault_alloc_hits(void);

#endif /* ESEPY_OS_H */
