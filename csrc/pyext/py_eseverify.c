/*
 * py_eseverify.c -- Python face of EsepyEseVerifyLogs (esepy_ese.h): the
 * audit of a Windows ESE database against its logs.  Included by module.c;
 * eseverify_register() adds `_ese_verify_logs` to the module.
 *
 * Owns: converting ESEPY_ESE_VERIFYINFO and the ESEPY_ESE_VERIFYPAGE array
 * into plain dicts and lists (esepy/_verify.py builds the report object).
 * Must not touch: engine internals -- only the public esepy_ese.h API.
 */
#include "esepy_ese.h"

static int vfy_set(PyObject *d, const char *key, PyObject *v)
{
    if (v == NULL)
        return -1;
    int r = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return r;
}

static PyObject *vfy_lgpos(const ESEPY_ESE_LGPOS *p)
{
    return Py_BuildValue("(iII)", (int)p->lGeneration, (unsigned)p->isec, (unsigned)p->ib);
}

static PyObject *vfy_str(const char *sz)
{
    return PyUnicode_DecodeUTF8(sz, (Py_ssize_t)strlen(sz), "replace");
}

static PyObject *vfy_type(uint32_t lrtyp)
{
    const char *sz = EsepyEseLrtypName(lrtyp);
    return PyUnicode_FromString(sz ? sz : "?");
}

#define VU(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))
#define VI(x) PyLong_FromLongLong((long long)(x))

static PyObject *vfy_node(const ESEPY_ESE_VERIFYNODE *pn)
{
    if (!pn->fPresent)
        Py_RETURN_NONE;
    uint32_t cbK = pn->cbKey < ESEPY_ESE_VERIFY_NODE_CB ? pn->cbKey : ESEPY_ESE_VERIFY_NODE_CB;
    uint32_t cbD = pn->cbData < ESEPY_ESE_VERIFY_NODE_CB ? pn->cbData : ESEPY_ESE_VERIFY_NODE_CB;
    return Py_BuildValue("{s:I,s:y#,s:I,s:y#,s:I}", "flags", (unsigned)pn->fFlags, "key", (const char *)pn->rgbKey,
                         (Py_ssize_t)cbK, "key_size", (unsigned)pn->cbKey, "data", (const char *)pn->rgbData,
                         (Py_ssize_t)cbD, "data_size", (unsigned)pn->cbData);
}

static PyObject *vfy_page(const ESEPY_ESE_VERIFYPAGE *p)
{
    static const char *rgszVerdict[] = {"match", "differs", "unchecked"};
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int r = 0;
    r |= vfy_set(d, "pgno", VU(p->pgno));
    r |= vfy_set(d, "verdict", PyUnicode_FromString(p->verdict >= 0 && p->verdict <= 2 ? rgszVerdict[p->verdict]
                                                                                       : "?"));
    r |= vfy_set(d, "reason", vfy_str(p->szReason));
    r |= vfy_set(d, "records", VU(p->crecord));
    r |= vfy_set(d, "first_record", Py_BuildValue("{s:N,s:N}", "type", vfy_type(p->lrtypFirst), "lgpos",
                                                  vfy_lgpos(&p->lgposFirst)));
    PyObject *l = PyList_New(0);
    for (uint32_t i = 0; l != NULL && i < p->crecordListed; i++) {
        const ESEPY_ESE_VERIFYRECORD *pr = &p->rgrecord[i];
        PyObject *o = Py_BuildValue("{s:N,s:N,s:K,s:N,s:I,s:O}", "type", vfy_type(pr->lrtyp), "lgpos",
                                    vfy_lgpos(&pr->lgpos), "dbtime", (unsigned long long)pr->dbtime,
                                    "dbtime_before", pr->dbtimeBefore == 0xFFFFFFFFFFFFFFFFull
                                                         ? (Py_INCREF(Py_None), Py_None)
                                                         : VU(pr->dbtimeBefore),
                                    "iline", (unsigned)pr->iline, "creates", pr->fNew ? Py_True : Py_False);
        if (o == NULL || PyList_Append(l, o) < 0) {
            Py_XDECREF(o);
            Py_CLEAR(l);
            break;
        }
        Py_DECREF(o);
    }
    r |= vfy_set(d, "last_records", l);
    if (p->fRebuilt) {
        const ESEPY_ESE_REBUILDPAGE *b = &p->rebuild;
        r |= vfy_set(d, "rebuilt", Py_BuildValue(
            "{s:I,s:N,s:N,s:N,s:O,s:K,s:K,s:i,s:I,s:I,s:I,s:O,s:I,s:N}", "events", (unsigned)b->cevents,
            "origin", vfy_type(b->lrtypOrigin), "lgpos_origin", vfy_lgpos(&b->lgposOrigin), "lgpos_last",
            vfy_lgpos(&b->lgposLast), "from_image", b->fFromImage ? Py_True : Py_False, "dbtime_rebuilt",
            (unsigned long long)b->dbtimeRebuilt, "dbtime_disk", (unsigned long long)b->dbtimeDisk, "difference",
            (int)b->iDiff, "iline_difference", (unsigned)b->ilineDiff, "lines_rebuilt", (unsigned)b->clinesRebuilt,
            "lines_disk", (unsigned)b->clinesDisk, "bytes_equal", b->fBytesEqual ? Py_True : Py_False,
            "first_byte_differing", (unsigned)b->ibDiff, "note", vfy_str(b->szNote)));
    } else {
        Py_INCREF(Py_None);
        r |= vfy_set(d, "rebuilt", Py_None);
    }
    if (p->fNodes) {
        r |= vfy_set(d, "line", VI(p->iline));
        r |= vfy_set(d, "node_from_logs", vfy_node(&p->nodeLogs));
        r |= vfy_set(d, "node_on_disk", vfy_node(&p->nodeDisk));
    }
    if (r) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* _ese_verify_logs(database, logs) -> dict (summary, "pages": [dict, ...]) */
static PyObject *py_ese_verify_logs(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *db = NULL, *logs = NULL;
    if (!PyArg_ParseTuple(args, "O&O&:_ese_verify_logs", PyUnicode_FSConverter, &db, PyUnicode_FSConverter, &logs)) {
        Py_XDECREF(db);
        return NULL;
    }
    ESEPY_ESE_VERIFYINFO info;
    ESEPY_ESE_VERIFYPAGE *rg = NULL;
    uint32_t cMax = 256, c = 0;
    JET_ERR err;
    for (;;) {
        PyMem_Free(rg);
        rg = PyMem_Calloc(cMax, sizeof(*rg));
        if (rg == NULL) {
            Py_DECREF(db);
            Py_DECREF(logs);
            return PyErr_NoMemory();
        }
        ESEPY_CALL(err = EsepyEseVerifyLogs(PyBytes_AS_STRING(db), PyBytes_AS_STRING(logs), &info, rg, cMax, &c));
        if (err != JET_wrnBufferTruncated || c <= cMax)
            break;
        cMax = c;
    }
    Py_DECREF(db);
    Py_DECREF(logs);
    if (err < 0) {
        PyMem_Free(rg);
        return raise_jet(err, "EsepyEseVerifyLogs");
    }
    PyObject *d = Py_BuildValue("{s:(ii),s:K,s:I,s:I,s:I,s:I,s:I,s:I}", "generations", (int)info.lGenFirst,
                                (int)info.lGenLast, "records", (unsigned long long)info.crecord, "dbid",
                                (unsigned)info.dbid, "pages_named", (unsigned)info.cpage, "match",
                                (unsigned)info.cpageMatch, "differ", (unsigned)info.cpageDiffer, "unchecked",
                                (unsigned)info.cpageUnchecked, "bytes_equal", (unsigned)info.cpageBytesEqual);
    PyObject *l = d ? PyList_New(0) : NULL;
    for (uint32_t i = 0; l != NULL && i < c && i < cMax; i++) {
        PyObject *o = vfy_page(&rg[i]);
        if (o == NULL || PyList_Append(l, o) < 0) {
            Py_XDECREF(o);
            Py_CLEAR(l);
            break;
        }
        Py_DECREF(o);
    }
    PyMem_Free(rg);
    if (l == NULL || vfy_set(d, "pages", l) < 0) {
        Py_XDECREF(d);
        return NULL;
    }
    return d;
}
#undef VU
#undef VI

static PyMethodDef eseverify_functions[] = {
    {"_ese_verify_logs", py_ese_verify_logs, METH_VARARGS,
     "_ese_verify_logs(database, logs)\n--\n\n"
     "EsepyEseVerifyLogs: audit a Windows ESE database against its logs; returns a dict."},
    {NULL, NULL, 0, NULL},
};

static int eseverify_register(PyObject *m)
{
    return PyModule_AddFunctions(m, eseverify_functions);
}
