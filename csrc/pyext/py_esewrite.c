/*
 * py_esewrite.c -- Python face of the ESE-format writer (EsepyEseWriter*,
 * esepy_ese.h): the `_EseWriter` type used by esepy/_export_ese.py.
 * Included by module.c; esewrite_register() adds the type.
 *
 * Owns: an ESEPY_ESE_WRITER and its trees, addressed from Python by small
 * integers (the index in rgtree); closing releases all of them.  And the
 * `_EseEncoder` type: a table's column and index descriptions for
 * EsepyEseEncodeRecord / EsepyEseEncodeKeys (eseencode.c), encoding batches
 * of rows (one call for many) into records and keys.
 * Must not touch: engine internals -- only the public esepy_ese.h API.
 */
#include "esepy_ese.h"

typedef struct {
    PyObject_HEAD
    ESEPY_ESE_WRITER *pw;
    ESEPY_ESE_WTREE **rgtree;
    Py_ssize_t ctree, ctreeMax;
} EseWriterObject;

static void esewriter_release(EseWriterObject *self)
{
    for (Py_ssize_t i = 0; i < self->ctree; i++)
        EsepyEseWriterFreeTree(self->rgtree[i]);
    PyMem_Free(self->rgtree);
    self->rgtree = NULL;
    self->ctree = self->ctreeMax = 0;
    if (self->pw)
        EsepyEseWriterClose(self->pw);
    self->pw = NULL;
}

static void esewriter_dealloc(EseWriterObject *self)
{
    esewriter_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int esewriter_init(EseWriterObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "page_size", NULL};
    PyObject *path = NULL;
    unsigned int cbPage = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&I:_EseWriter", kwlist, PyUnicode_FSConverter, &path, &cbPage))
        return -1;
    esewriter_release(self);
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseWriterCreate(PyBytes_AS_STRING(path), cbPage, &self->pw));
    Py_DECREF(path);
    if (err < 0) {
        raise_jet(err, "EsepyEseWriterCreate");
        return -1;
    }
    return 0;
}

static int esewriter_ok(EseWriterObject *self)
{
    if (self->pw == NULL) {
        PyErr_SetString(PyExc_ValueError, "the writer is closed");
        return 0;
    }
    return 1;
}

static ESEPY_ESE_WTREE *esewriter_tree(EseWriterObject *self, Py_ssize_t i)
{
    if (!esewriter_ok(self))
        return NULL;
    if (i < 0 || i >= self->ctree) {
        PyErr_SetString(PyExc_ValueError, "no such tree");
        return NULL;
    }
    return self->rgtree[i];
}

/* begin_tree(objid, parent, flags, pgno_fixed, cpg_fixed) -> (tree, pgnoFDP) */
static PyObject *esewriter_begin_tree(EseWriterObject *self, PyObject *args)
{
    unsigned int objid, grbit, pgnoFixed, cpgFixed;
    Py_ssize_t iParent;
    if (!PyArg_ParseTuple(args, "InIII:begin_tree", &objid, &iParent, &grbit, &pgnoFixed, &cpgFixed))
        return NULL;
    if (!esewriter_ok(self))
        return NULL;
    ESEPY_ESE_WTREE *pParent = NULL;
    if (iParent >= 0 && (pParent = esewriter_tree(self, iParent)) == NULL)
        return NULL;
    if (self->ctree == self->ctreeMax) {
        Py_ssize_t cNew = self->ctreeMax ? self->ctreeMax * 2 : 16;
        ESEPY_ESE_WTREE **rg = PyMem_Realloc(self->rgtree, (size_t)cNew * sizeof(*rg));
        if (rg == NULL)
            return PyErr_NoMemory();
        self->rgtree = rg;
        self->ctreeMax = cNew;
    }
    ESEPY_ESE_WTREE *pt = NULL;
    uint32_t pgnoFDP = 0;
    JET_ERR err = EsepyEseWriterBeginTree(self->pw, pParent, objid, grbit, pgnoFixed, cpgFixed, &pt, &pgnoFDP);
    if (err < 0)
        return raise_jet(err, "EsepyEseWriterBeginTree");
    self->rgtree[self->ctree] = pt;
    return Py_BuildValue("(nI)", self->ctree++, (unsigned)pgnoFDP);
}

/* append(tree, key, data) */
static PyObject *esewriter_append(EseWriterObject *self, PyObject *args)
{
    Py_ssize_t i;
    Py_buffer key, data;
    if (!PyArg_ParseTuple(args, "ny*y*:append", &i, &key, &data))
        return NULL;
    ESEPY_ESE_WTREE *pt = esewriter_tree(self, i);
    JET_ERR err = JET_errSuccess;
    if (pt != NULL && (key.len > 0xFFFF || data.len > 0x7FFFFFFF))
        err = JET_errRecordTooBig;
    else if (pt != NULL)
        err = EsepyEseWriterAppend(pt, key.buf, (uint32_t)key.len, data.buf, (uint32_t)data.len);
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    if (pt == NULL)
        return NULL;
    if (err < 0)
        return raise_jet(err, "EsepyEseWriterAppend");
    Py_RETURN_NONE;
}

/* append_many(tree, iterable of (key, data)) -> count */
static PyObject *esewriter_append_many(EseWriterObject *self, PyObject *args)
{
    Py_ssize_t i;
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "nO:append_many", &i, &seq))
        return NULL;
    ESEPY_ESE_WTREE *pt = esewriter_tree(self, i);
    if (pt == NULL)
        return NULL;
    PyObject *it = PyObject_GetIter(seq);
    if (it == NULL)
        return NULL;
    PyObject *item;
    Py_ssize_t n = 0;
    while ((item = PyIter_Next(it)) != NULL) {
        const char *pk, *pd;
        Py_ssize_t ck, cd;
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(item, 0)) ||
            !PyBytes_Check(PyTuple_GET_ITEM(item, 1))) {
            Py_DECREF(item);
            Py_DECREF(it);
            PyErr_SetString(PyExc_TypeError, "append_many takes (bytes, bytes) pairs");
            return NULL;
        }
        PyBytes_AsStringAndSize(PyTuple_GET_ITEM(item, 0), (char **)&pk, &ck);
        PyBytes_AsStringAndSize(PyTuple_GET_ITEM(item, 1), (char **)&pd, &cd);
        JET_ERR err = (ck > 0xFFFF || cd > 0x7FFFFFFF) ? JET_errRecordTooBig
                                                       : EsepyEseWriterAppend(pt, pk, (uint32_t)ck, pd, (uint32_t)cd);
        Py_DECREF(item);
        if (err < 0) {
            Py_DECREF(it);
            return raise_jet(err, "EsepyEseWriterAppend");
        }
        n++;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    return PyLong_FromSsize_t(n);
}

static PyObject *esewriter_end_tree(EseWriterObject *self, PyObject *args)
{
    Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "n:end_tree", &i))
        return NULL;
    ESEPY_ESE_WTREE *pt = esewriter_tree(self, i);
    if (pt == NULL)
        return NULL;
    ESEPY_ESE_WTREEINFO info;
    JET_ERR err = EsepyEseWriterEndTree(pt, &info);
    if (err < 0)
        return raise_jet(err, "EsepyEseWriterEndTree");
    return Py_BuildValue("{s:I,s:I,s:K,s:I}", "pgno_fdp", (unsigned)info.pgnoFDP, "depth", (unsigned)info.clevel,
                         "nodes", (unsigned long long)info.cnode, "pages_owned", (unsigned)info.cpgOwned);
}

static PyObject *esewriter_finish(EseWriterObject *self, PyObject *args)
{
    unsigned int objidLast;
    if (!PyArg_ParseTuple(args, "I:finish", &objidLast))
        return NULL;
    if (!esewriter_ok(self))
        return NULL;
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseWriterFinish(self->pw, objidLast));
    if (err < 0)
        return raise_jet(err, "EsepyEseWriterFinish");
    return PyLong_FromUnsignedLong(EsepyEseWriterPageCount(self->pw));
}

static PyObject *esewriter_page_count(EseWriterObject *self, PyObject *noargs)
{
    (void)noargs;
    return PyLong_FromUnsignedLong(EsepyEseWriterPageCount(self->pw));
}

static PyObject *esewriter_close(EseWriterObject *self, PyObject *noargs)
{
    (void)noargs;
    esewriter_release(self);
    Py_RETURN_NONE;
}

static PyMethodDef esewriter_methods[] = {
    {"begin_tree", (PyCFunction)esewriter_begin_tree, METH_VARARGS,
     "begin_tree(objid, parent, flags, pgno_fixed, cpg_fixed) -> (tree, pgno_fdp)"},
    {"append", (PyCFunction)esewriter_append, METH_VARARGS, "append(tree, key, data)"},
    {"append_many", (PyCFunction)esewriter_append_many, METH_VARARGS, "append_many(tree, pairs) -> count"},
    {"end_tree", (PyCFunction)esewriter_end_tree, METH_VARARGS, "end_tree(tree) -> dict"},
    {"finish", (PyCFunction)esewriter_finish, METH_VARARGS, "finish(objid_last) -> pages"},
    {"page_count", (PyCFunction)esewriter_page_count, METH_NOARGS, "page_count() -> pages handed out"},
    {"close", (PyCFunction)esewriter_close, METH_NOARGS, "close()"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EseWriterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy._EseWriter",
    .tp_basicsize = sizeof(EseWriterObject),
    .tp_dealloc = (destructor)esewriter_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A new database file in Windows ESE's format (EsepyEseWriter*); see esepy/_export_ese.py.",
    .tp_methods = esewriter_methods,
    .tp_init = (initproc)esewriter_init,
    .tp_new = PyType_GenericNew,
};


/* ---- _EseEncoder: rows -> (primary key, record) and index entries ----------------- */

typedef struct {
    PyObject_HEAD
    ESEPY_ESE_ENCCOLUMN *rgcol;
    ESEPY_ESE_ENCTABLE tab;
    ESEPY_ESE_ENCINDEX *rgix;
    uint32_t *rgseg;          /* every index's icol then fDescending arrays, back to back */
    Py_ssize_t cix;
    int fPrimary;             /* rgix[0] is the primary index */
    PyObject *separate;       /* callable(icol, bytes) -> 4-byte reference */
    uint8_t *pbRec;           /* ESEPY_ESE_ENC_RECORD_MAX bytes */
    ESEPY_ESE_ENCVALUE *rgval;
    uint32_t *rgcval;
    Py_ssize_t cvalMax;
    int fBusy;                /* in encode(): rgval is in use (a callback must not re-enter) */
} EseEncoderObject;

static void eseencoder_dealloc(EseEncoderObject *self)
{
    PyMem_Free(self->rgcol);
    PyMem_Free(self->rgix);
    PyMem_Free(self->rgseg);
    PyMem_Free(self->pbRec);
    PyMem_Free(self->rgval);
    PyMem_Free(self->rgcval);
    Py_XDECREF(self->separate);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* pfnSeparate: the Python callable stores the long value */
static JET_ERR eseencoder_separate(void *pvCtx, uint32_t icol, const void *pv, uint32_t cb, uint8_t rgbRef[4])
{
    EseEncoderObject *self = pvCtx;
    PyObject *r = PyObject_CallFunction(self->separate, "Iy#", (unsigned)icol, (const char *)pv, (Py_ssize_t)cb);
    if (r == NULL)
        return JET_errInvalidParameter;
    if (!PyBytes_Check(r) || PyBytes_GET_SIZE(r) != 4) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "separate() must return a 4-byte reference");
        return JET_errInvalidParameter;
    }
    memcpy(rgbRef, PyBytes_AS_STRING(r), 4);
    Py_DECREF(r);
    return JET_errSuccess;
}

/* pfnFold: Python's str.upper() of the UTF-16LE text, as UTF-16BE (the
 * substitute key form of docs/export-ese.md) */
static JET_ERR eseencoder_fold(void *pvCtx, const void *pv, uint32_t cb, void *pvOut, uint32_t cbOutMax,
                               uint32_t *pcbOut)
{
    (void)pvCtx;
    int order = -1;
    PyObject *s = PyUnicode_DecodeUTF16(pv, cb, "surrogatepass", &order);
    PyObject *u = s ? PyObject_CallMethod(s, "upper", NULL) : NULL;
    PyObject *b = u ? PyUnicode_AsEncodedString(u, "utf-16-be", "surrogatepass") : NULL;
    Py_XDECREF(s);
    Py_XDECREF(u);
    if (b == NULL)
        return JET_errInvalidParameter;
    Py_ssize_t n = PyBytes_GET_SIZE(b);
    memcpy(pvOut, PyBytes_AS_STRING(b), (size_t)(n < (Py_ssize_t)cbOutMax ? n : (Py_ssize_t)cbOutMax));
    *pcbOut = (uint32_t)n;
    Py_DECREF(b);
    return JET_errSuccess;
}

static JET_ERR eseencoder_key_to_list(void *pvCtx, const uint8_t *pbKey, uint32_t cbKey)
{
    PyObject *k = PyBytes_FromStringAndSize((const char *)pbKey, cbKey);
    if (k == NULL || PyList_Append((PyObject *)pvCtx, k) < 0) {
        Py_XDECREF(k);
        return JET_errOutOfMemory;
    }
    Py_DECREF(k);
    return JET_errSuccess;
}

/* _EseEncoder(columns, indexes, large, intrinsic_max, key_most, separate)
 *   columns: [(fid, coltyp, cp, width, has_default)] in the table's column order
 *   indexes: [(grbit ESEPY_ESE_ENCIX_*, [(icol, descending)])], the primary one first */
static int eseencoder_init(EseEncoderObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"columns", "indexes", "large", "intrinsic_max", "key_most", "separate", NULL};
    PyObject *cols, *ixs, *separate;
    int fLarge;
    unsigned int cbIntrinsic, cbKeyMost;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOpIIO:_EseEncoder", kwlist, &cols, &ixs, &fLarge, &cbIntrinsic,
                                     &cbKeyMost, &separate))
        return -1;
    if (self->rgcol != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_EseEncoder is initialised once");
        return -1;
    }
    PyObject *fc = PySequence_Fast(cols, "columns must be a sequence");
    PyObject *fi = fc ? PySequence_Fast(ixs, "indexes must be a sequence") : NULL;
    int rc = -1;
    if (fi == NULL)
        goto done;
    Py_ssize_t ccol = PySequence_Fast_GET_SIZE(fc), cix = PySequence_Fast_GET_SIZE(fi);
    if (ccol > 0xFFFF || cix > 0xFFFF) {
        PyErr_SetString(PyExc_ValueError, "too many columns or indexes");
        goto done;
    }
    self->rgcol = PyMem_Calloc((size_t)ccol + 1, sizeof(*self->rgcol));
    self->rgcval = PyMem_Calloc((size_t)ccol + 1, sizeof(uint32_t));
    self->rgix = PyMem_Calloc((size_t)cix + 1, sizeof(*self->rgix));
    self->pbRec = PyMem_Malloc(ESEPY_ESE_ENC_RECORD_MAX);
    if (!self->rgcol || !self->rgcval || !self->rgix || !self->pbRec) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < ccol; i++) {
        ESEPY_ESE_ENCCOLUMN *pc = &self->rgcol[i];
        int fDefault;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fc, i), "IIIIp:column", &pc->fid, &pc->coltyp, &pc->cp,
                              &pc->cbFixed, &fDefault))
            goto done;
        if (pc->fid == 0 || pc->fid > 0xFFFF || (pc->fid < 128 && (pc->cbFixed == 0 || pc->cbFixed > 255))) {
            PyErr_SetString(PyExc_ValueError, "bad column description");
            goto done;
        }
        pc->grbit = fDefault ? ESEPY_ESE_ENCCOL_DEFAULT : 0;
    }
    /* segments: count them first */
    Py_ssize_t cseg = 0;
    for (Py_ssize_t x = 0; x < cix; x++) {
        PyObject *t = PySequence_Fast_GET_ITEM(fi, x);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2 || !PySequence_Check(PyTuple_GET_ITEM(t, 1))) {
            PyErr_SetString(PyExc_TypeError, "an index is (grbit, [(icol, descending)])");
            goto done;
        }
        Py_ssize_t n = PySequence_Size(PyTuple_GET_ITEM(t, 1));
        if (n < 0)
            goto done;
        cseg += n;
    }
    self->rgseg = PyMem_Calloc(2 * (size_t)cseg + 1, sizeof(uint32_t));
    if (self->rgseg == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t iseg = 0;
    for (Py_ssize_t x = 0; x < cix; x++) {
        PyObject *t = PySequence_Fast_GET_ITEM(fi, x);
        ESEPY_ESE_ENCINDEX *pix = &self->rgix[x];
        pix->grbit = (uint32_t)PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 0));
        if (PyErr_Occurred())
            goto done;
        PyObject *fs = PySequence_Fast(PyTuple_GET_ITEM(t, 1), "key columns");
        if (fs == NULL)
            goto done;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(fs);
        uint32_t *rgicol = self->rgseg + 2 * iseg, *rgfDesc = rgicol + n;
        for (Py_ssize_t k = 0; k < n; k++) {
            unsigned int icol;
            int fDesc;
            if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fs, k), "Ip:key column", &icol, &fDesc) ||
                icol >= (unsigned)ccol) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "key column out of range");
                Py_DECREF(fs);
                goto done;
            }
            rgicol[k] = icol;
            rgfDesc[k] = (uint32_t)fDesc;
        }
        Py_DECREF(fs);
        pix->rgicol = rgicol;
        pix->rgfDescending = rgfDesc;
        pix->cseg = (uint32_t)n;
        iseg += n;
    }
    self->cix = cix;
    self->fPrimary = cix > 0 && (self->rgix[0].grbit & ESEPY_ESE_ENCIX_PRIMARY);
    self->tab.rgcol = self->rgcol;
    self->tab.ccol = (uint32_t)ccol;
    self->tab.fLarge = (uint32_t)fLarge;
    self->tab.cbIntrinsicMax = cbIntrinsic;
    self->tab.cbKeyMost = cbKeyMost;
    self->tab.pfnSeparate = eseencoder_separate;
    self->tab.pfnFold = eseencoder_fold;
    self->tab.pvCtx = self;
    Py_INCREF(separate);
    self->separate = separate;
    rc = 0;
done:
    Py_XDECREF(fc);
    Py_XDECREF(fi);
    return rc;
}

static int eseencoder_value(PyObject *o, ESEPY_ESE_ENCVALUE *pv)
{
    if (PyBytes_Check(o)) {
        pv->pv = PyBytes_AS_STRING(o);
        pv->cb = (uint32_t)PyBytes_GET_SIZE(o);
    } else if (PyByteArray_Check(o)) {
        pv->pv = PyByteArray_AS_STRING(o);
        pv->cb = (uint32_t)PyByteArray_GET_SIZE(o);
    } else {
        PyErr_Format(PyExc_TypeError, "a column value must be bytes, a list of them or None, not %.100s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    if ((size_t)Py_SIZE(o) > 0x7FFFFFFF) {
        PyErr_SetString(PyExc_ValueError, "a value of 2 GiB or more");
        return -1;
    }
    return 0;
}

static int eseencoder_room(EseEncoderObject *self, Py_ssize_t c)
{
    if (c <= self->cvalMax)
        return 0;
    Py_ssize_t cNew = c < 64 ? 64 : 2 * c;
    ESEPY_ESE_ENCVALUE *rg = PyMem_Realloc(self->rgval, (size_t)cNew * sizeof(*rg));
    if (rg == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->rgval = rg;
    self->cvalMax = cNew;
    return 0;
}

/* The row's values into rgval/rgcval (NULLs inside a list are left out).
 * Returns the row as a list or tuple (a new reference): the values point
 * into objects it holds, so the caller keeps it until the row is encoded. */
static PyObject *eseencoder_row(EseEncoderObject *self, PyObject *row)
{
    PyObject *f = PySequence_Fast(row, "a row must be a sequence");
    if (f == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(f);
    if (n != (Py_ssize_t)self->tab.ccol) {
        Py_DECREF(f);
        PyErr_Format(PyExc_ValueError, "a row of %zd values for %u columns", n, (unsigned)self->tab.ccol);
        return NULL;
    }
    Py_ssize_t cval = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PySequence_Fast_GET_ITEM(f, i);
        uint32_t c = 0;
        if (o == Py_None) {
            /* NULL */
        } else if (PyList_Check(o)) {
            Py_ssize_t m = PyList_GET_SIZE(o);
            if (eseencoder_room(self, cval + m) < 0)
                goto fail;
            for (Py_ssize_t k = 0; k < m; k++) {
                PyObject *x = PyList_GET_ITEM(o, k);
                if (x == Py_None)
                    continue;
                if (eseencoder_value(x, &self->rgval[cval + c]) < 0)
                    goto fail;
                c++;
            }
        } else {
            if (eseencoder_room(self, cval + 1) < 0 || eseencoder_value(o, &self->rgval[cval]) < 0)
                goto fail;
            c = 1;
        }
        self->rgcval[i] = c;
        cval += c;
    }
    return f;
fail:
    Py_DECREF(f);
    return NULL;
}

static PyObject *eseencoder_error(JET_ERR err, const ESEPY_ESE_ENCERROR *pe, Py_ssize_t iix)
{
    if (PyErr_Occurred())
        return NULL;
    if (err == JET_errInvalidParameter && pe->reason != 0) {
        /* ValueError("encode", reason, icol, cb, index): _export_ese.py words the message */
        PyObject *a = Py_BuildValue("(sIIIn)", "encode", (unsigned)pe->reason, (unsigned)pe->icol,
                                    (unsigned)pe->cb, iix);
        if (a != NULL) {
            PyErr_SetObject(PyExc_ValueError, a);
            Py_DECREF(a);
        }
        return NULL;
    }
    return raise_jet(err, "EsepyEseEncode");
}

/* encode(rows, dbk) -> (records, entries, substitute, dbk)
 *   rows: sequences of one value per column (None, bytes, or a list of them:
 *   the values of a multi-valued column), in their stored form;
 *   records: [(primary key, record)]; entries: per secondary index [(key,
 *   primary key)]; substitute: bit i set when index i got a substitute
 *   Unicode segment; dbk: the last sequential key (tables without a primary
 *   index number their records from dbk + 1). */
static PyObject *eseencoder_encode(EseEncoderObject *self, PyObject *args)
{
    PyObject *rows;
    unsigned long long dbk;
    if (!PyArg_ParseTuple(args, "OK:encode", &rows, &dbk))
        return NULL;
    if (self->rgcol == NULL) {
        PyErr_SetString(PyExc_ValueError, "the encoder is not initialised");
        return NULL;
    }
    PyObject *fr = PySequence_Fast(rows, "rows must be a sequence");
    if (fr == NULL)
        return NULL;
    Py_ssize_t nrow = PySequence_Fast_GET_SIZE(fr);
    Py_ssize_t ix0 = self->fPrimary ? 1 : 0;
    PyObject *recs = PyList_New(nrow), *entries = PyList_New(self->cix - ix0), *keys = PyList_New(0);
    PyObject *result = NULL, *held = NULL; /* held: the row being encoded (its values) */
    unsigned long substitute = 0;
    int fWasBusy = self->fBusy;
    if (recs == NULL || entries == NULL || keys == NULL)
        goto done;
    for (Py_ssize_t x = ix0; x < self->cix; x++) {
        PyObject *l = PyList_New(0);
        if (l == NULL)
            goto done;
        PyList_SET_ITEM(entries, x - ix0, l);
    }
    if (self->fBusy) {
        PyErr_SetString(PyExc_RuntimeError, "encode() called again while it runs");
        goto done;
    }
    self->fBusy = 1;
    for (Py_ssize_t r = 0; r < nrow; r++) {
        Py_XDECREF(held);
        held = eseencoder_row(self, PySequence_Fast_GET_ITEM(fr, r));
        if (held == NULL)
            goto done;
        ESEPY_ESE_ENCROW row = { self->rgval, self->rgcval };
        ESEPY_ESE_ENCERROR e;
        uint32_t fSub = 0;
        JET_ERR err;
        PyObject *pk;
        if (self->fPrimary) {
            if (PyList_SetSlice(keys, 0, PyList_GET_SIZE(keys), NULL) < 0)
                goto done;
            err = EsepyEseEncodeKeys(&self->tab, &self->rgix[0], &row, eseencoder_key_to_list, keys, &fSub, &e);
            if (err < 0) {
                eseencoder_error(err, &e, 0);
                goto done;
            }
            if (fSub)
                substitute |= 1;
            if (PyList_GET_SIZE(keys) != 1) {
                /* reason 0: the primary key of a record has several values */
                PyObject *a = Py_BuildValue("(sIIIn)", "encode", 0u, 0u, 0u, (Py_ssize_t)0);
                if (a != NULL) {
                    PyErr_SetObject(PyExc_ValueError, a);
                    Py_DECREF(a);
                }
                goto done;
            }
            pk = PyList_GET_ITEM(keys, 0);
            Py_INCREF(pk);
        } else {
            uint8_t rgb[4];
            dbk++;
            if (dbk > 0xFFFFFFFFull) {
                PyErr_SetString(PyExc_OverflowError, "more than 2^32 records without a primary index");
                goto done;
            }
            rgb[0] = (uint8_t)(dbk >> 24);
            rgb[1] = (uint8_t)(dbk >> 16);
            rgb[2] = (uint8_t)(dbk >> 8);
            rgb[3] = (uint8_t)dbk;
            pk = PyBytes_FromStringAndSize((const char *)rgb, 4);
            if (pk == NULL)
                goto done;
        }
        uint32_t cbRec = 0;
        err = EsepyEseEncodeRecord(&self->tab, &row, self->pbRec, ESEPY_ESE_ENC_RECORD_MAX, &cbRec, &e);
        if (err < 0) {
            Py_DECREF(pk);
            eseencoder_error(err, &e, -1);
            goto done;
        }
        PyObject *t = Py_BuildValue("(Oy#)", pk, (const char *)self->pbRec, (Py_ssize_t)cbRec);
        if (t == NULL) {
            Py_DECREF(pk);
            goto done;
        }
        PyList_SET_ITEM(recs, r, t);
        for (Py_ssize_t x = ix0; x < self->cix; x++) {
            if (PyList_SetSlice(keys, 0, PyList_GET_SIZE(keys), NULL) < 0) {
                Py_DECREF(pk);
                goto done;
            }
            fSub = 0;
            err = EsepyEseEncodeKeys(&self->tab, &self->rgix[x], &row, eseencoder_key_to_list, keys, &fSub, &e);
            if (err < 0) {
                Py_DECREF(pk);
                eseencoder_error(err, &e, x);
                goto done;
            }
            if (fSub && x < (Py_ssize_t)(8 * sizeof(substitute)))
                substitute |= 1ul << x;
            PyObject *l = PyList_GET_ITEM(entries, x - ix0);
            for (Py_ssize_t k = 0; k < PyList_GET_SIZE(keys); k++) {
                PyObject *e2 = PyTuple_Pack(2, PyList_GET_ITEM(keys, k), pk);
                if (e2 == NULL || PyList_Append(l, e2) < 0) {
                    Py_XDECREF(e2);
                    Py_DECREF(pk);
                    goto done;
                }
                Py_DECREF(e2);
            }
        }
        Py_DECREF(pk);
    }
    result = Py_BuildValue("(OOkK)", recs, entries, substitute, dbk);
done:
    if (!fWasBusy)
        self->fBusy = 0;
    Py_XDECREF(held);
    Py_DECREF(fr);
    Py_XDECREF(recs);
    Py_XDECREF(entries);
    Py_XDECREF(keys);
    return result;
}

static PyMethodDef eseencoder_methods[] = {
    {"encode", (PyCFunction)eseencoder_encode, METH_VARARGS,
     "encode(rows, dbk) -> ([(pk, record)], [[(key, pk)] per secondary index], substitute mask, dbk)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EseEncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy._EseEncoder",
    .tp_basicsize = sizeof(EseEncoderObject),
    .tp_dealloc = (destructor)eseencoder_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Rows of one table in ESE's record and key format (EsepyEseEncode*); see esepy/_export_ese.py.",
    .tp_methods = eseencoder_methods,
    .tp_init = (initproc)eseencoder_init,
    .tp_new = PyType_GenericNew,
};

static int esewrite_register(PyObject *m)
{
    if (PyType_Ready(&EseWriterType) < 0)
        return -1;
    Py_INCREF(&EseWriterType);
    if (PyModule_AddObject(m, "_EseWriter", (PyObject *)&EseWriterType) < 0) {
        Py_DECREF(&EseWriterType);
        return -1;
    }
    if (PyType_Ready(&EseEncoderType) < 0)
        return -1;
    Py_INCREF(&EseEncoderType);
    if (PyModule_AddObject(m, "_EseEncoder", (PyObject *)&EseEncoderType) < 0) {
        Py_DECREF(&EseEncoderType);
        return -1;
    }
    return 0;
}
