/*
 * errors.c -- lookups in the error table generated from errors.tbl.
 *
 * Owns: the read-only rows of errtab.inc (code, name, category, message) and
 * the two questions asked of them: "which row is this code" (err_lookup, used
 * by JET_paramErrorToString) and "give me row i" (EsepyGetErrorInfo, used by
 * the Python binding to build its exception classes).
 * Must not touch: any mutable state.
 */
#include "api_int.h"

#include <string.h>

static const err_row err_rows[] = {
#include "errtab.inc"
};

/* Invariant (kept by tools/generr.py): err_rows is sorted by err, and the
 * canonical row of a code comes first among rows with that code. */
const err_row *err_lookup(JET_ERR err)
{
    size_t lo = 0, hi = ARRAY_SIZE(err_rows);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (err_rows[mid].err < err)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ARRAY_SIZE(err_rows) && err_rows[lo].err == err)
        return &err_rows[lo];
    return NULL;
}

ESEPY_EXPORT JET_ERR EsepyGetErrorInfo(uint32_t ierr, ESEPY_ERRORINFO *pinfo)
{
    if (pinfo == NULL || pinfo->cbStruct != sizeof(*pinfo) || ierr >= ARRAY_SIZE(err_rows))
        return JET_errInvalidParameter;
    const err_row *r = &err_rows[ierr];
    pinfo->err = r->err;
    pinfo->szName = r->name;
    pinfo->errcat = r->cat;
    pinfo->fCanonical = r->canonical;
    pinfo->szMessage = r->message;
    return JET_errSuccess;
}
