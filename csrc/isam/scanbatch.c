/*
 * scanbatch.c -- the values half of EsepyReadRows (issue 20): the first value
 * of each asked column of a cursor's current record, copied one after another
 * into one caller buffer, so that a batch of records costs one API call
 * rather than a JetMove and a JetRetrieveColumns each.
 *
 * Owns: the packing of a record's values into the caller's buffer
 * (ESEPY_ROWVALUE offsets).  Keeps nothing between calls.
 * Must not touch: navigation (cursor.c; the API layer moves the cursor, so
 * that cursor filters apply), the record format and how a value is found
 * (retrieve.c: every value is read through isam_retrieve_column, with the
 * cursor's kept record image), versions, pages.
 */
#include "isam_int.h"

/* Invariant: on JET_errSuccess rgv[0..ccol) describe values inside
 * pb[*pib_in, *pib_out), in column order, NULLs with cb 0; on any other answer
 * *pib is unchanged and the bytes written past it are garbage to the caller. */
JET_ERR isam_read_row_values(isam_sess *psess, JET_TABLEID tableid, const ESEPY_READCOLUMN *rgcol, uint32_t ccol,
                             uint8_t *pb, uint32_t cb, uint32_t *pib, ESEPY_ROWVALUE *rgv)
{
    uint32_t ib = *pib;
    for (uint32_t i = 0; i < ccol; i++) {
        uint32_t cbActual = 0;
        JET_RETINFO ri = { sizeof(ri), 0, 1, 0 };
        JET_ERR err = isam_retrieve_column(psess, tableid, rgcol[i].columnid, pb ? pb + ib : NULL, cb - ib, &cbActual,
                                           rgcol[i].grbit, &ri);
        if (err < 0)
            return err;
        if (err == JET_wrnColumnNull) {
            rgv[i] = (ESEPY_ROWVALUE){ 0, 0, JET_wrnColumnNull };
            continue;
        }
        /* truncated, a user-defined default, any other warning: the caller
         * reads this record through the general calls */
        if (err != JET_errSuccess)
            return ISAM_wrnRowNotRead;
        rgv[i] = (ESEPY_ROWVALUE){ ib, cbActual, JET_errSuccess };
        ib += cbActual;
    }
    *pib = ib;
    return JET_errSuccess;
}
