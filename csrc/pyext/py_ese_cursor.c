/*
 * py_ese_cursor.c -- the EseCursor type of the forensic reader: a cursor over
 * one table's records (next row, one column, raw values, record info, the
 * tagged columns present), its release (the last cursor of a closing
 * EseFile closes the file).  Included by py_ese.c, after py_ese_values.c.
 *
 * Owns: an EseCursor's buffers and column type tables.
 * Must not touch: value conversion rules (py_ese_values.c), the file's
 * header and catalog views (py_ese_file.c), engine internals.
 */

static void esecursor_release(EseCursorObject *c)
{
    if (c->pcursor != NULL) {
        ese_lock(c->file);
        EsepyEseCursorClose(c->pcursor);
        c->pcursor = NULL;
        if (--c->file->ccursor == 0 && c->file->fClosing) {
            EsepyEseClose(c->file->pfile);
            c->file->pfile = NULL;
        }
        ese_unlock(c->file);
    }
}

static void esecursor_dealloc(EseCursorObject *c)
{
    if (c->file != NULL) {
        esecursor_release(c);
        Py_DECREF(c->file);
    }
    PyMem_Free(c->rgcoltyp);
    PyMem_Free(c->rgcp);
    PyMem_Free(c->rgmulti);
    PyMem_Free(c->pb);
    Py_XDECREF(c->factory);
    PyObject_Free(c);
}

static PyObject *esecursor_close(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (c->file != NULL)
        esecursor_release(c);
    Py_RETURN_NONE;
}

static int esecursor_check(EseCursorObject *c)
{
    if (c->pcursor == NULL) {
        PyErr_SetString(PyExc_ValueError, "the cursor is closed");
        return -1;
    }
    return 0;
}


static PyObject *esecursor_next_row(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseCursorNext(c->pcursor));
    PyObject *row = NULL;
    if (err == JET_errNoCurrentRecord) {
        row = Py_NewRef(Py_None);
    } else if (err < 0) {
        raise_jet(err, "EsepyEseCursorNext");
    } else {
        row = PyTuple_New(c->ccolumn);
        for (uint32_t ic = 0; row && ic < c->ccolumn; ic++) {
            PyObject *v = ese_column_object(c, ic);
            if (v == NULL)
                Py_CLEAR(row);
            else
                PyTuple_SET_ITEM(row, ic, v);
        }
    }
    ese_unlock(c->file);
    return row;
}

static PyObject *esecursor_next(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseCursorNext(c->pcursor));
    ese_unlock(c->file);
    if (err == JET_errNoCurrentRecord)
        Py_RETURN_FALSE;
    if (err < 0)
        return raise_jet(err, "EsepyEseCursorNext");
    Py_RETURN_TRUE;
}

static PyObject *esecursor_column(EseCursorObject *c, PyObject *arg)
{
    unsigned long ic = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred() || esecursor_check(c) < 0)
        return NULL;
    if (ic >= c->ccolumn) {
        PyErr_SetString(PyExc_IndexError, "column position out of range");
        return NULL;
    }
    ese_lock(c->file);
    PyObject *r = ese_column_object(c, (uint32_t)ic);
    ese_unlock(c->file);
    return r;
}

static PyObject *esecursor_raw_value(EseCursorObject *c, PyObject *args)
{
    unsigned long ic, iv = 1;
    int fRaw = 1;
    if (!PyArg_ParseTuple(args, "k|kp:raw_value", &ic, &iv, &fRaw) || esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    uint32_t cb = 0, info = 0;
    JET_ERR err = ese_fetch(c, (uint32_t)ic, (uint32_t)iv, fRaw ? ESEPY_ESE_RETRIEVE_RAW : 0, &cb, &info);
    PyObject *r;
    if (err == JET_wrnColumnNull)
        r = Py_NewRef(Py_None);
    else if (err < 0)
        r = raise_jet(err, "EsepyEseCursorRetrieve");
    else
        r = Py_BuildValue("(y#k)", (const char *)c->pb, (Py_ssize_t)cb, (unsigned long)info);
    ese_unlock(c->file);
    return r;
}

static PyObject *esecursor_record_info(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    ESEPY_ESE_RECORDINFO ri;
    JET_ERR err = EsepyEseCursorGetRecordInfo(c->pcursor, &ri);
    PyObject *d = NULL;
    if (err < 0) {
        raise_jet(err, "EsepyEseCursorGetRecordInfo");
    } else {
        d = PyDict_New();
        if (d == NULL || ese_dset(d, "pgno", U(ri.pgno)) < 0 || ese_dset(d, "itag", U(ri.itag)) < 0 ||
            ese_dset(d, "node_flags", U(ri.fNodeFlags)) < 0 ||
            ese_dset(d, "key", PyBytes_FromStringAndSize((const char *)ri.pbKey, ri.cbKey)) < 0 ||
            ese_dset(d, "record", PyBytes_FromStringAndSize((const char *)ri.pbRecord, ri.cbRecord)) < 0 ||
            ese_dset(d, "last_fixed", U(ri.fidFixedLast)) < 0 || ese_dset(d, "last_variable", U(ri.fidVarLast)) < 0 ||
            ese_dset(d, "tagged_count", U(ri.ctagged)) < 0)
            Py_CLEAR(d);
    }
    ese_unlock(c->file);
    return d;
}

static PyObject *esecursor_tagged(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    ESEPY_ESE_RECORDINFO ri;
    JET_ERR err = EsepyEseCursorGetRecordInfo(c->pcursor, &ri);
    PyObject *l = err < 0 ? raise_jet(err, "EsepyEseCursorGetRecordInfo") : PyList_New(0);
    for (uint32_t i = 0; l && i < ri.ctagged; i++) {
        uint32_t columnid = 0, fFlags = 0, cb = 0;
        const uint8_t *pb = NULL;
        err = EsepyEseCursorGetTagged(c->pcursor, i, &columnid, &fFlags, &pb, &cb);
        PyObject *t = err < 0 ? Py_BuildValue("(kkO)", (unsigned long)columnid, 0ul, Py_None)
                              : Py_BuildValue("(kky#)", (unsigned long)columnid, (unsigned long)fFlags,
                                              (const char *)pb, (Py_ssize_t)cb);
        if (t == NULL || PyList_Append(l, t) < 0)
            Py_CLEAR(l);
        Py_XDECREF(t);
    }
    ese_unlock(c->file);
    return l;
}

static PyObject *esecursor_seek(EseCursorObject *c, PyObject *arg)
{
    Py_buffer key;
    if (PyObject_GetBuffer(arg, &key, PyBUF_SIMPLE) < 0)
        return NULL;
    if (esecursor_check(c) < 0 || key.len > 0x10000) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "key too long");
        PyBuffer_Release(&key);
        return NULL;
    }
    ese_lock(c->file);
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseCursorSeek(c->pcursor, key.buf, (uint32_t)key.len));
    ese_unlock(c->file);
    PyBuffer_Release(&key);
    if (err < 0)
        return raise_jet(err, "EsepyEseCursorSeek");
    Py_RETURN_NONE;
}

static PyObject *esecursor_index_key(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    const uint8_t *pb = NULL;
    uint32_t cb = 0, fFlags = 0;
    JET_ERR err = EsepyEseCursorGetIndexKey(c->pcursor, &pb, &cb, &fFlags);
    PyObject *r = err < 0 ? raise_jet(err, "EsepyEseCursorGetIndexKey")
                          : Py_BuildValue("(y#k)", (const char *)pb, (Py_ssize_t)cb, (unsigned long)fFlags);
    ese_unlock(c->file);
    return r;
}

static PyMethodDef esecursor_methods[] = {
    {"seek", (PyCFunction)esecursor_seek, METH_O,
     "seek(key) -> None: the next record is the first whose (index) key is >= key (normalised bytes)."},
    {"index_key", (PyCFunction)esecursor_index_key, METH_NOARGS,
     "(key, node_flags) of the current entry in the cursor's order (index key on an index cursor)."},
    {"close", (PyCFunction)esecursor_close, METH_NOARGS, "Close the cursor."},
    {"next_row", (PyCFunction)esecursor_next_row, METH_NOARGS,
     "Move to the next record and return its values as a tuple (None after the last)."},
    {"next", (PyCFunction)esecursor_next, METH_NOARGS, "Move to the next record; False after the last."},
    {"column", (PyCFunction)esecursor_column, METH_O, "column(i) -> value(s) of column i of the current record."},
    {"raw_value", (PyCFunction)esecursor_raw_value, METH_VARARGS,
     "raw_value(i, ivalue=1, raw=True) -> (bytes, info) or None: stored (raw) or decoded bytes."},
    {"record_info", (PyCFunction)esecursor_record_info, METH_NOARGS,
     "Location, key and raw bytes of the current record."},
    {"tagged", (PyCFunction)esecursor_tagged, METH_NOARGS,
     "Raw tagged fields of the current record: list of (columnid, flags, bytes)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EseCursorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.EseCursor",
    .tp_basicsize = sizeof(EseCursorObject),
    .tp_dealloc = (destructor)esecursor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A record cursor over one table of an EseFile (create with EseFile.cursor).",
    .tp_methods = esecursor_methods,
};

