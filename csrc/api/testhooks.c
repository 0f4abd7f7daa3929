/*
 * testhooks.c -- the EsepyTest* entry points over the OS layer's I/O fault
 * injection, call counters and crash-simulation journal (esepy_ext.h).
 *
 * Owns: nothing but argument checking and the mapping of ESEPY_IO_* onto
 * OS_FAULT_*; the state itself lives in csrc/os (os_unix.c, os_crash.c).
 * Must not touch: instances, sessions or any engine state: these hooks are
 * process-wide and meant for esepy's own tests (docs/reliability.md).
 */
#include "api_int.h"

_Static_assert(ESEPY_IO_READ == OS_FAULT_READ && ESEPY_IO_WRITE == OS_FAULT_WRITE &&
                   ESEPY_IO_SYNC == OS_FAULT_SYNC && ESEPY_IO_PWRITE == OS_FAULT_PWRITE &&
                   ESEPY_IO_FSYNC == OS_FAULT_FSYNC && ESEPY_IO_RENAME == OS_FAULT_RENAME &&
                   ESEPY_IO_UNLINK == OS_FAULT_UNLINK && ESEPY_IO_TRUNCATE == OS_FAULT_TRUNCATE &&
                   ESEPY_IO_DIRSYNC == OS_FAULT_DIRSYNC && ESEPY_IO_ALLOCATE == OS_FAULT_ALLOCATE &&
                   ESEPY_IO_MUTATE == OS_FAULT_MUTATE && ESEPY_IO_KINDS == OS_FAULT_KINDS,
               "ESEPY_IO_* must match OS_FAULT_*");
_Static_assert(ESEPY_CJ_OPEN == OS_CJ_OPEN && ESEPY_CJ_WRITE == OS_CJ_WRITE && ESEPY_CJ_SYNC == OS_CJ_SYNC &&
                   ESEPY_CJ_TRUNCATE == OS_CJ_TRUNCATE && ESEPY_CJ_ALLOCATE == OS_CJ_ALLOCATE &&
                   ESEPY_CJ_RENAME == OS_CJ_RENAME && ESEPY_CJ_UNLINK == OS_CJ_UNLINK &&
                   ESEPY_CJ_DIRSYNC == OS_CJ_DIRSYNC && ESEPY_CJ_MKDIR == OS_CJ_MKDIR &&
                   ESEPY_CJ_RMDIR == OS_CJ_RMDIR && ESEPY_CJ_MARK == OS_CJ_MARK &&
                   ESEPY_CJ_SYNCFAIL == OS_CJ_SYNCFAIL,
               "ESEPY_CJ_* must match OS_CJ_*");

ESEPY_EXPORT JET_ERR EsepyTestFailIO(uint32_t kind, uint32_t n, int32_t fPersistent, JET_ERR err)
{
    if (kind >= ESEPY_IO_KINDS || (n != 0 && err >= 0))
        return JET_errInvalidParameter;
    os_fault_io((int)kind, n, fPersistent, err);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyTestGetIOCount(uint32_t kind, uint64_t *pc)
{
    if (pc == NULL || kind > ESEPY_IO_KINDS)
        return JET_errInvalidParameter;
    *pc = kind == ESEPY_IO_KINDS ? os_fault_alloc_count() : os_fault_count((int)kind);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyTestCrashJournal(int32_t fRecord)
{
    os_crash_record(fRecord > 0 ? 1 : fRecord < 0 ? -1 : 0);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyTestCrashMark(uint64_t tag)
{
    os_crash_mark(tag);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyTestCrashJournalRead(void *pv, uint64_t cbMax, uint64_t *pcbActual)
{
    if (pcbActual == NULL)
        return JET_errInvalidParameter;
    return os_crash_read(pv, (size_t)cbMax, pcbActual);
}
