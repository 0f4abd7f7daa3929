/*
 * py_eserecover.c -- Python face of EsepyEseRecover (esepy_ese.h): soft
 * recovery of a Windows ESE database onto a copy, stage 1.  Included by
 * module.c; eserecover_register() adds `_ese_recover` to the module.
 *
 * Owns: converting ESEPY_ESE_RECOVERINFO into a dict, the progress callback
 * bridge (called without the GIL by the C code; it takes the GIL, calls the
 * Python callable and turns an exception into JET_errCallbackFailed, the
 * exception itself being re-raised afterwards), and raising the JET error of
 * a refusal with the reason as its operation text and the dict attached as
 * the exception's `recovery` attribute.
 * Must not touch: engine internals -- only the public esepy_ese.h API.
 */
#include "esepy_ese.h"

typedef struct {
    PyObject *callable;   /* borrowed */
    PyObject *exc_type, *exc_value, *exc_tb; /* the callable's exception, if any */
} rcv_progress;

static JET_ERR rcv_progress_cb(void *pv, int32_t lGeneration, uint32_t igen, uint32_t cgen)
{
    rcv_progress *pp = pv;
    PyGILState_STATE g = PyGILState_Ensure();
    JET_ERR err = JET_errSuccess;
    PyObject *r = PyObject_CallFunction(pp->callable, "lII", (long)lGeneration, (unsigned)igen, (unsigned)cgen);
    if (r == NULL) {
        PyErr_Fetch(&pp->exc_type, &pp->exc_value, &pp->exc_tb);
        err = JET_errCallbackFailed;
    }
    Py_XDECREF(r);
    PyGILState_Release(g);
    return err;
}

static int rcv_set(PyObject *d, const char *key, PyObject *v)
{
    if (v == NULL)
        return -1;
    int r = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return r;
}

static PyObject *rcv_lgpos(const ESEPY_ESE_LGPOS *p)
{
    return Py_BuildValue("(iII)", (int)p->lGeneration, (unsigned)p->isec, (unsigned)p->ib);
}

static PyObject *rcv_info_dict(const ESEPY_ESE_RECOVERINFO *p)
{
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int r = 0;
#define RU(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))
#define RI(x) PyLong_FromLongLong((long long)(x))
    r |= rcv_set(d, "was_clean", PyBool_FromLong(p->fWasClean));
    r |= rcv_set(d, "fake_checkpoint", PyBool_FromLong(p->fFakeCheckpoint));
    r |= rcv_set(d, "lgpos_checkpoint", rcv_lgpos(&p->lgposCheckpoint));
    r |= rcv_set(d, "lgpos_redo_start", rcv_lgpos(&p->lgposRedoStart));
    r |= rcv_set(d, "lgpos_end", rcv_lgpos(&p->lgposEnd));
    r |= rcv_set(d, "generations", Py_BuildValue("(ii)", (int)p->lGenFirst, (int)p->lGenLast));
    r |= rcv_set(d, "dbid", RU(p->dbid));
    r |= rcv_set(d, "lgpos_attached", rcv_lgpos(&p->lgposAttachNow));
    r |= rcv_set(d, "records", RU(p->crecord));
    r |= rcv_set(d, "page_references", RU(p->cpageRecord));
    r |= rcv_set(d, "page_references_applied", RU(p->cpageApplied));
    r |= rcv_set(d, "page_references_outside", RU(p->cpageOutside));
    r |= rcv_set(d, "records_redone", RU(p->crecordRedo));
    r |= rcv_set(d, "pages_redone", RU(p->cpageRedone));
    r |= rcv_set(d, "database_pages", RU(p->cpgDatabaseAfter));
    r |= rcv_set(d, "segments_corrected", RU(p->csegmentCorrected));
    r |= rcv_set(d, "detaches", RU(p->cdetach));
    r |= rcv_set(d, "lgpos_consistent", rcv_lgpos(&p->lgposConsistent));
    r |= rcv_set(d, "dbtime_before", RU(p->dbtimeBefore));
    r |= rcv_set(d, "dbtime_after", RU(p->dbtimeAfter));
    r |= rcv_set(d, "objid_before", RU(p->objidBefore));
    r |= rcv_set(d, "objid_after", RU(p->objidAfter));
    r |= rcv_set(d, "jfm_removed", PyBool_FromLong(p->fJfmRemoved));
    r |= rcv_set(d, "versions", RU(p->cversion));
    r |= rcv_set(d, "undo_records", RU(p->cundoRecord));
    r |= rcv_set(d, "sessions_undone", RU(p->csessionUndone));
    r |= rcv_set(d, "versions_undone", RU(p->cversionUndone));
    r |= rcv_set(d, "undone_session", p->csessionUndone ? Py_BuildValue("{s:I,s:I,s:N}", "procid",
                 (unsigned)p->procidUndone, "trx_begin0", (unsigned)p->trxBegin0Undone, "lgpos_begin0",
                 rcv_lgpos(&p->lgposBegin0Undone)) : (Py_INCREF(Py_None), Py_None));
    r |= rcv_set(d, "error", RI(p->err));
    r |= rcv_set(d, "record_type", p->lrtyp || p->szRecordType[0] ? PyUnicode_FromString(p->szRecordType)
                                                                   : Py_NewRef(Py_None));
    r |= rcv_set(d, "lrtyp", RU(p->lrtyp));
    r |= rcv_set(d, "lgpos", rcv_lgpos(&p->lgpos));
    r |= rcv_set(d, "pgno", RU(p->pgno));
    r |= rcv_set(d, "dbtime_record", RU(p->dbtimeRecord));
    r |= rcv_set(d, "dbtime_before_record", RU(p->dbtimeBeforeRecord));
    r |= rcv_set(d, "dbtime_page", RU(p->dbtimePage));
    r |= rcv_set(d, "generation_missing", RI(p->lGenMissing));
    r |= rcv_set(d, "reason", PyUnicode_DecodeUTF8(p->szReason, (Py_ssize_t)strlen(p->szReason), "replace"));
#undef RU
#undef RI
    if (r) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* _ese_recover(database, logs, output, in_place, progress) -> dict */
static PyObject *py_ese_recover(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *db = NULL, *logs = NULL, *out = NULL, *progress = Py_None;
    int fInPlace = 0;
    if (!PyArg_ParseTuple(args, "O&O&O&pO:_ese_recover", PyUnicode_FSConverter, &db, PyUnicode_FSConverter, &logs,
                          PyUnicode_FSConverter, &out, &fInPlace, &progress)) {
        Py_XDECREF(db);
        Py_XDECREF(logs);
        Py_XDECREF(out);
        return NULL;
    }
    ESEPY_ESE_RECOVERINFO *pinfo = PyMem_Calloc(1, sizeof(*pinfo));
    if (pinfo == NULL) {
        Py_DECREF(db);
        Py_DECREF(logs);
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    rcv_progress pp = {progress, NULL, NULL, NULL};
    const char *szOut = PyBytes_AS_STRING(out);
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseRecover(PyBytes_AS_STRING(db), PyBytes_AS_STRING(logs), NULL,
                                     fInPlace ? NULL : szOut, fInPlace ? ESEPY_ESE_RECOVER_IN_PLACE : 0,
                                     progress != Py_None ? rcv_progress_cb : NULL, &pp, pinfo));
    Py_DECREF(db);
    Py_DECREF(logs);
    Py_DECREF(out);
    PyObject *d = NULL;
    if (pp.exc_type != NULL) {
        PyErr_Restore(pp.exc_type, pp.exc_value, pp.exc_tb); /* the callback's own exception */
    } else {
        d = rcv_info_dict(pinfo);
        if (d != NULL && err < 0) {
            raise_jet(err, pinfo->szReason[0] ? pinfo->szReason : "EsepyEseRecover");
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            PyErr_NormalizeException(&t, &v, &tb);
            if (v != NULL)
                (void)PyObject_SetAttrString(v, "recovery", d);
            PyErr_Restore(t, v, tb);
            Py_CLEAR(d);
        }
    }
    PyMem_Free(pinfo);
    return d;
}

static PyMethodDef eserecover_functions[] = {
    {"_ese_recover", py_ese_recover, METH_VARARGS,
     "_ese_recover(database, logs, output, in_place, progress)\n--\n\n"
     "EsepyEseRecover: soft recovery of a Windows ESE database onto a copy (stage 1); returns a dict."},
    {NULL, NULL, 0, NULL},
};

static int eserecover_register(PyObject *m)
{
    return PyModule_AddFunctions(m, eserecover_functions);
}
