/*
 * py_esewrite.c -- Python face of the ESE-format writer (EsepyEseWriter*,
 * esepy_ese.h): the `_EseWriter` type used by esepy/_export_ese.py.
 * Included by module.c; esewrite_register() adds the type.
 *
 * Owns: an ESEPY_ESE_WRITER and its trees, addressed from Python by small
 * integers (the index in rgtree); closing releases all of them.
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

static int esewrite_register(PyObject *m)
{
    if (PyType_Ready(&EseWriterType) < 0)
        return -1;
    Py_INCREF(&EseWriterType);
    if (PyModule_AddObject(m, "_EseWriter", (PyObject *)&EseWriterType) < 0) {
        Py_DECREF(&EseWriterType);
        return -1;
    }
    return 0;
}
