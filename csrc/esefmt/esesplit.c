/*
 * esesplit.c -- redo of structure changes (Split2, Merge2, PageMove,
 * RootPageMove) during the recovery of Windows ESE databases.
 * Owned by the esesplit work (issue 22 part B); until it lands, a macro
 * holding such a record stops recovery by name.
 * Must not touch: anything but the pages eseredo hands out (eseredo.h).
 */
#include "eseredo.h"

JET_ERR esesplit_redo_macro(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro)
{
    (void)dbtimeMacro;
    for (uint32_t i = 0; i < pbuf->crec; i++) {
        const ESEPY_ESE_LOGRECORD *prec = &pbuf->rgrec[i].rec;
        if (prec->lrtyp == ESEPY_ESE_LRTYP_SPLIT2 || prec->lrtyp == ESEPY_ESE_LRTYP_MERGE2 ||
            prec->lrtyp == ESEPY_ESE_LRTYP_PAGEMOVE || prec->lrtyp == ESEPY_ESE_LRTYP_ROOTPAGEMOVE)
            return eseredo_fail(pr, JET_errFeatureNotAvailable, prec, prec->pgno,
                                "%s at (%d,%u,%u) on page %u needs redo, which recovery does not replay yet "
                                "(the database is left as it is)", EsepyEseLrtypName(prec->lrtyp),
                                prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, prec->pgno);
    }
    return JET_errSuccess;
}
