/*
 * esesplit.c -- redo of structure changes (Split2, Merge2, PageMove,
 * RootPageMove) during the recovery of Windows ESE databases.
 * Owned by the esesplit work (issue 22 part B).  Until it lands, a macro
 * holding such a record is accepted only when every page its structure
 * records name already carries the change (the stage-1 proof); otherwise
 * recovery stops naming the record.  The macro's other records go through
 * eseredo_apply with the macro's per-page decisions.
 * Must not touch: anything but the pages eseredo hands out (eseredo.h).
 */
#include "eseredo.h"

static int structure_record(uint32_t lrtyp)
{
    return lrtyp == ESEPY_ESE_LRTYP_SPLIT2 || lrtyp == ESEPY_ESE_LRTYP_MERGE2 || lrtyp == ESEPY_ESE_LRTYP_PAGEMOVE ||
           lrtyp == ESEPY_ESE_LRTYP_ROOTPAGEMOVE;
}

JET_ERR esesplit_redo_macro(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro)
{
    JET_ERR err = JET_errSuccess;
    eseredo_macro_begin(pr, dbtimeMacro);
    for (uint32_t i = 0; i < pbuf->crec && err >= 0; i++) {
        const ESEPY_ESE_LOGRECORD *prec = &pbuf->rgrec[i].rec;
        err = structure_record(prec->lrtyp) ? eseredo_verify_only(pr, prec) : eseredo_apply(pr, prec);
    }
    eseredo_macro_end(pr);
    return err;
}
