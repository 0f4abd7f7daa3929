/*
 * py_backup.c -- backup and restore for Python: JetBackupInstance,
 * JetRestoreInstance / EsepyRestoreInstance2 / JetRestore2, the external
 * backup API and EsepyGetLogPosition, as module functions taking an instance
 * handle (esepy/_backup.py builds the public methods on them).  Included by
 * module.c.
 *
 * Progress: JET_PFNSTATUS has no user context, so the trampoline finds the
 * Python callable in a thread-local slot set for the duration of the call
 * (the engine calls it on the calling thread).  The trampoline takes the
 * GIL; an exception in the callable is kept, the engine is told to stop
 * (JET_errCallbackFailed), and the exception is re-raised to the caller in
 * place of the engine's error.
 */

typedef struct progress_slot {
    PyObject *callable;  /* borrowed for the duration of the call */
    PyObject *exc_type, *exc_value, *exc_tb;
} progress_slot;

static _Thread_local progress_slot *t_progress;

static JET_ERR JET_API progress_trampoline(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void *pv)
{
    (void)sesid;
    progress_slot *slot = t_progress;
    if (slot == NULL || slot->callable == NULL)
        return JET_errSuccess;
    PyGILState_STATE g = PyGILState_Ensure();
    JET_ERR err = JET_errSuccess;
    if (slot->exc_type != NULL) {
        err = JET_errCallbackFailed; /* already failed: keep stopping */
    } else {
        unsigned long done = 0, total = 0;
        if (pv) {
            const JET_SNPROG *p = pv;
            done = p->cunitDone;
            total = p->cunitTotal;
        }
        PyObject *r = PyObject_CallFunction(slot->callable, "kkkk", (unsigned long)snp, (unsigned long)snt, done,
                                            total);
        if (r == NULL) {
            PyErr_Fetch(&slot->exc_type, &slot->exc_value, &slot->exc_tb);
            err = JET_errCallbackFailed;
        } else {
            Py_DECREF(r);
        }
    }
    PyGILState_Release(g);
    return err;
}

/* After the engine call: the callable's exception wins over the JET error. */
static PyObject *progress_finish(progress_slot *slot, JET_ERR err, const char *op)
{
    t_progress = NULL;
    if (slot->exc_type != NULL) {
        PyErr_Restore(slot->exc_type, slot->exc_value, slot->exc_tb);
        return NULL;
    }
    if (check_jet(err, op) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_backup(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj, *cb, *pathobj;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "OOIO:_backup", &hobj, &pathobj, &grbit, &cb))
        return NULL;
    int bad = 0;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    const char *path = NULL;
    PyObject *bytes = NULL;
    if (pathobj != Py_None) {
        if (!PyUnicode_FSConverter(pathobj, &bytes))
            return NULL;
        path = PyBytes_AS_STRING(bytes);
    }
    progress_slot slot = { cb == Py_None ? NULL : cb, NULL, NULL, NULL };
    JET_ERR err;
    t_progress = &slot;
    ESEPY_CALL(err = JetBackupInstance(h, path, grbit, slot.callable ? progress_trampoline : NULL));
    Py_XDECREF(bytes);
    return progress_finish(&slot, err, "JetBackupInstance");
}

/* LOGTIME from (year, month, day, hour, minute, second, millisecond) in UTC. */
static int logtime_arg(PyObject *o, JET_LOGTIME *plt)
{
    int y, mo, d, hh, mi, ss, ms;
    if (!PyArg_ParseTuple(o, "iiiiiii", &y, &mo, &d, &hh, &mi, &ss, &ms))
        return -1;
    if (y < 1900 || y > 1900 + 255) {
        PyErr_SetString(PyExc_ValueError, "stop time out of range (1900..2155)");
        return -1;
    }
    memset(plt, 0, sizeof(*plt));
    plt->bYear = (char)(y - 1900);
    plt->bMonth = (char)mo;
    plt->bDay = (char)d;
    plt->bHours = (char)hh;
    plt->bMinutes = (char)mi;
    plt->bSeconds = (char)ss;
    plt->fTimeIsUTC = 1;
    plt->bMillisecondsLow = (unsigned char)(ms & 0x7F);
    plt->bMillisecondsHigh = (unsigned char)((ms >> 7) & 0x7);
    return 0;
}

static PyObject *py_restore(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj, *srcobj, *destobj, *lgposobj, *timeobj, *cb;
    int legacy;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "OOOOOOp|I:_restore", &hobj, &srcobj, &destobj, &lgposobj, &timeobj, &cb, &legacy,
                          &grbit))
        return NULL;
    int bad = 0;
    JET_INSTANCE h = hobj == Py_None ? 0 : handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    JET_LGPOS lgpos, *plgpos = NULL;
    JET_LOGTIME lt, *plt = NULL;
    if (lgposobj != Py_None) {
        int gen, isec, ib;
        if (!PyArg_ParseTuple(lgposobj, "iii", &gen, &isec, &ib))
            return NULL;
        lgpos.lGeneration = gen;
        lgpos.isec = (uint16_t)isec;
        lgpos.ib = (uint16_t)ib;
        plgpos = &lgpos;
    }
    if (timeobj != Py_None) {
        if (logtime_arg(timeobj, &lt) < 0)
            return NULL;
        plt = &lt;
    }
    PyObject *src = NULL, *dest = NULL;
    if (!PyUnicode_FSConverter(srcobj, &src))
        return NULL;
    if (destobj != Py_None && !PyUnicode_FSConverter(destobj, &dest)) {
        Py_DECREF(src);
        return NULL;
    }
    const char *szDest = dest ? PyBytes_AS_STRING(dest) : NULL;
    progress_slot slot = { cb == Py_None ? NULL : cb, NULL, NULL, NULL };
    JET_PFNSTATUS pfn = slot.callable ? progress_trampoline : NULL;
    JET_ERR err;
    t_progress = &slot;
    if (legacy)
        ESEPY_CALL(err = JetRestore2(PyBytes_AS_STRING(src), szDest, pfn));
    else
        ESEPY_CALL(err = EsepyRestoreInstance2(h, PyBytes_AS_STRING(src), szDest, plgpos, plt, pfn, grbit));
    Py_DECREF(src);
    Py_XDECREF(dest);
    return progress_finish(&slot, err, legacy ? "JetRestore2" : "JetRestoreInstance");
}

/* ---- external backup ---------------------------------------------------------- */

static PyObject *py_bk_begin(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "OI:_bk_begin", &hobj, &grbit))
        return NULL;
    int bad = 0;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    JET_ERR err;
    ESEPY_CALL(err = JetBeginExternalBackupInstance(h, grbit));
    if (check_jet(err, "JetBeginExternalBackupInstance") < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* A multi-string call (attach info, log info, truncate info) -> list of str. */
static PyObject *szz_call(PyObject *args, int which)
{
    static const char *ops[] = { "JetGetAttachInfoInstance", "JetGetLogInfoInstance",
                                 "JetGetTruncateLogInfoInstance" };
    PyObject *hobj;
    if (!PyArg_ParseTuple(args, "O", &hobj))
        return NULL;
    int bad = 0;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    uint32_t cb = 0;
    JET_ERR err;
    char *buf = NULL;
    for (int attempt = 0; attempt < 4; attempt++) {
        uint32_t cbMax = cb;
        char *nb = cbMax ? PyMem_Realloc(buf, cbMax) : NULL;
        if (cbMax && nb == NULL) {
            PyMem_Free(buf);
            return PyErr_NoMemory();
        }
        if (nb)
            buf = nb;
        switch (which) {
        case 0: ESEPY_CALL(err = JetGetAttachInfoInstance(h, cbMax ? buf : NULL, cbMax, &cb)); break;
        case 1: ESEPY_CALL(err = JetGetLogInfoInstance(h, cbMax ? buf : NULL, cbMax, &cb)); break;
        default: ESEPY_CALL(err = JetGetTruncateLogInfoInstance(h, cbMax ? buf : NULL, cbMax, &cb)); break;
        }
        if (err == JET_errBufferTooSmall || (err >= 0 && cbMax < cb))
            continue; /* grew between the calls: again */
        break;
    }
    if (err < 0) {
        PyMem_Free(buf);
        return raise_jet(err, ops[which]);
    }
    PyObject *list = PyList_New(0);
    for (uint32_t off = 0; list && buf && off < cb && buf[off]; ) {
        size_t n = strnlen(buf + off, cb - off);
        PyObject *s = PyUnicode_DecodeFSDefaultAndSize(buf + off, (Py_ssize_t)n);
        if (s == NULL || PyList_Append(list, s) < 0) {
            Py_XDECREF(s);
            Py_CLEAR(list);
            break;
        }
        Py_DECREF(s);
        off += (uint32_t)n + 1;
    }
    PyMem_Free(buf);
    return list;
}

static PyObject *py_bk_attach_info(PyObject *self, PyObject *args)
{
    (void)self;
    return szz_call(args, 0);
}

static PyObject *py_bk_log_info(PyObject *self, PyObject *args)
{
    (void)self;
    return szz_call(args, 1);
}

static PyObject *py_bk_truncate_info(PyObject *self, PyObject *args)
{
    (void)self;
    return szz_call(args, 2);
}

static PyObject *py_bk_open(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj, *pathobj, *bytes = NULL;
    if (!PyArg_ParseTuple(args, "OO:_bk_open", &hobj, &pathobj))
        return NULL;
    int bad = 0;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad || !PyUnicode_FSConverter(pathobj, &bytes))
        return NULL;
    JET_HANDLE hf = 0;
    uint32_t lo = 0, hi = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetOpenFileInstance(h, PyBytes_AS_STRING(bytes), &hf, &lo, &hi));
    Py_DECREF(bytes);
    if (check_jet(err, "JetOpenFileInstance") < 0)
        return NULL;
    return Py_BuildValue("(KK)", (unsigned long long)hf, ((unsigned long long)hi << 32) | lo);
}

static PyObject *py_bk_read(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj;
    unsigned long long hf;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "OKw*:_bk_read", &hobj, &hf, &view))
        return NULL;
    int bad = 0;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad || view.len > UINT32_MAX) {
        PyBuffer_Release(&view);
        if (!bad)
            PyErr_SetString(PyExc_ValueError, "buffer too large");
        return NULL;
    }
    uint32_t got = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetReadFileInstance(h, (JET_HANDLE)hf, view.buf, (uint32_t)view.len, &got));
    PyBuffer_Release(&view);
    if (check_jet(err, "JetReadFileInstance") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(got);
}

/* The calls that take (handle[, number]) and return nothing. */
enum { BK_CLOSE, BK_TRUNCATE, BK_END, BK_STOP };

static PyObject *bk_simple(PyObject *args, int which)
{
    static const char *ops[] = { "JetCloseFileInstance", "JetTruncateLogInstance",
                                 "JetEndExternalBackupInstance2", "JetStopBackupInstance" };
    PyObject *hobj;
    unsigned long long n = 0;
    int ok = (which == BK_CLOSE || which == BK_END) ? PyArg_ParseTuple(args, "OK", &hobj, &n)
                                                    : PyArg_ParseTuple(args, "O", &hobj);
    if (!ok)
        return NULL;
    int bad = 0;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    JET_ERR err;
    switch (which) {
    case BK_CLOSE: ESEPY_CALL(err = JetCloseFileInstance(h, (JET_HANDLE)n)); break;
    case BK_TRUNCATE: ESEPY_CALL(err = JetTruncateLogInstance(h)); break;
    case BK_END: ESEPY_CALL(err = JetEndExternalBackupInstance2(h, (JET_GRBIT)n)); break;
    default: ESEPY_CALL(err = JetStopBackupInstance(h)); break;
    }
    if (check_jet(err, ops[which]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_bk_close(PyObject *self, PyObject *args)
{
    (void)self;
    return bk_simple(args, BK_CLOSE);
}

static PyObject *py_bk_truncate(PyObject *self, PyObject *args)
{
    (void)self;
    return bk_simple(args, BK_TRUNCATE);
}

static PyObject *py_bk_end(PyObject *self, PyObject *args)
{
    (void)self;
    return bk_simple(args, BK_END);
}

static PyObject *py_bk_stop(PyObject *self, PyObject *args)
{
    (void)self;
    return bk_simple(args, BK_STOP);
}

static PyObject *py_log_position(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj;
    if (!PyArg_ParseTuple(args, "O:_log_position", &hobj))
        return NULL;
    int bad = 0;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    JET_LGPOS pos;
    JET_ERR err;
    ESEPY_CALL(err = EsepyGetLogPosition(h, &pos));
    if (err < 0)
        return raise_jet(err, "EsepyGetLogPosition");
    return Py_BuildValue("(iii)", (int)pos.lGeneration, (int)pos.isec, (int)pos.ib);
}

#define BACKUP_METHODS                                                                                          \
    {"_backup", py_backup, METH_VARARGS,                                                                        \
     "_backup(handle, path, grbit, callback, /)\n--\n\nJetBackupInstance; callback(snp, snt, done, " \
     "total)."},                                                                                                \
    {"_restore", py_restore, METH_VARARGS,                                                                      \
     "_restore(handle, backup, dest, lgpos, when, callback, legacy, grbit=0, /)\n--\n" \
     "\nEsepyRestoreInstance2 (or JetRestore2 when legacy)."},                                                  \
    {"_log_position", py_log_position, METH_VARARGS,                                                            \
     "_log_position(handle, /)\n--\n\nEsepyGetLogPosition: (generation, sector, offset)."},                  \
    {"_bk_begin", py_bk_begin, METH_VARARGS, "_bk_begin(handle, grbit, /)\n--\n\nJetBeginExternalBackupInstance."}, \
    {"_bk_attach_info", py_bk_attach_info, METH_VARARGS,                                                        \
     "_bk_attach_info(handle, /)\n--\n\nJetGetAttachInfoInstance as a list of paths."},                            \
    {"_bk_log_info", py_bk_log_info, METH_VARARGS,                                                              \
     "_bk_log_info(handle, /)\n--\n\nJetGetLogInfoInstance as a list of paths."},                                  \
    {"_bk_truncate_info", py_bk_truncate_info, METH_VARARGS,                                                    \
     "_bk_truncate_info(handle, /)\n--\n\nJetGetTruncateLogInfoInstance as a list of paths."},                     \
    {"_bk_open", py_bk_open, METH_VARARGS, "_bk_open(handle, path, /)\n--\n\nJetOpenFileInstance: (file, size)."},  \
    {"_bk_read", py_bk_read, METH_VARARGS,                                                                      \
     "_bk_read(handle, file, buffer, /)\n--\n\nJetReadFileInstance into the buffer; returns the count."}, \
    {"_bk_close", py_bk_close, METH_VARARGS, "_bk_close(handle, file, /)\n--\n\nJetCloseFileInstance."},           \
    {"_bk_truncate", py_bk_truncate, METH_VARARGS, "_bk_truncate(handle, /)\n--\n\nJetTruncateLogInstance."},       \
    {"_bk_end", py_bk_end, METH_VARARGS, "_bk_end(handle, grbit, /)\n--\n\nJetEndExternalBackupInstance2."},        \
    {"_bk_stop", py_bk_stop, METH_VARARGS, "_bk_stop(handle, /)\n--\n\nJetStopBackupInstance."},
