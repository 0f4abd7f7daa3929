/*
 * py_functions.c -- module-level functions of esepy._esepy: parameters,
 * error and parameter tables, instance info, multi-instance mode, error text,
 * factories and test hooks.  Included by module.c.
 */

static JET_INSTANCE handle_arg(PyObject *o, int *perr)
{
    *perr = 0;
    if (o == Py_None)
        return 0;
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        *perr = 1;
        return 0;
    }
    return (JET_INSTANCE)v;
}

/* Convert a Python value into (lParam, szParam) for JetSetSystemParameter.
 * *pbytes receives a new reference that keeps szParam alive (or NULL). */
static int param_value_arg(PyObject *value, JET_API_PTR *pl, const char **psz, PyObject **pbytes)
{
    *pl = 0;
    *psz = NULL;
    *pbytes = NULL;
    if (PyUnicode_Check(value)) {
        *pbytes = PyUnicode_AsEncodedString(value, "utf-8", "surrogateescape");
        if (*pbytes == NULL)
            return -1;
        if (memchr(PyBytes_AS_STRING(*pbytes), 0, (size_t)PyBytes_GET_SIZE(*pbytes))) {
            Py_CLEAR(*pbytes);
            PyErr_SetString(PyExc_ValueError, "parameter strings must not contain NUL characters");
            return -1;
        }
        *psz = PyBytes_AS_STRING(*pbytes);
        return 0;
    }
    if (PyLong_Check(value)) {
        /* Accept negative values too (two's complement), as C callers can. */
        unsigned long long v = PyLong_AsUnsignedLongLongMask(value);
        if (v == (unsigned long long)-1 && PyErr_Occurred())
            return -1;
        *pl = (JET_API_PTR)v;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "parameter values are int, bool or str, not %.100s", Py_TYPE(value)->tp_name);
    return -1;
}

static PyObject *py_set_param(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj, *value;
    unsigned int paramid;
    if (!PyArg_ParseTuple(args, "OIO:_set_param", &hobj, &paramid, &value))
        return NULL;
    int bad;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    JET_API_PTR l;
    const char *sz;
    PyObject *keep;
    if (param_value_arg(value, &l, &sz, &keep) < 0)
        return NULL;
    JET_ERR err;
    ESEPY_CALL(err = JetSetSystemParameter(hobj == Py_None ? NULL : &h, 0, paramid, l, sz));
    Py_XDECREF(keep);
    if (check_jet(err, "JetSetSystemParameter") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *py_get_param(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *hobj;
    unsigned int paramid;
    int is_string;
    if (!PyArg_ParseTuple(args, "OIp:_get_param", &hobj, &paramid, &is_string))
        return NULL;
    int bad;
    JET_INSTANCE h = handle_arg(hobj, &bad);
    if (bad)
        return NULL;
    JET_API_PTR l = 0;
    char buf[1024];
    buf[0] = '\0';
    JET_ERR err;
    ESEPY_CALL(err = JetGetSystemParameter(h, 0, paramid, &l, is_string ? buf : NULL, sizeof(buf)));
    if (check_jet(err, "JetGetSystemParameter") < 0)
        return NULL;
    if (is_string)
        return PyUnicode_DecodeUTF8(buf, (Py_ssize_t)strlen(buf), "surrogateescape");
    return PyLong_FromUnsignedLongLong((unsigned long long)l);
}

static PyObject *py_error_string(PyObject *self, PyObject *args)
{
    (void)self;
    int code;
    if (!PyArg_ParseTuple(args, "i:error_string", &code))
        return NULL;
    JET_API_PTR l = (JET_API_PTR)(uint32_t)code;
    char buf[1024];
    JET_ERR err;
    ESEPY_CALL(err = JetGetSystemParameter(0, 0, JET_paramErrorToString, &l, buf, sizeof(buf)));
    if (check_jet(err, "JetGetSystemParameter") < 0)
        return NULL;
    return PyUnicode_FromString(buf);
}

static PyObject *py_error_table(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list != NULL; i++) {
        ESEPY_ERRORINFO info = {.cbStruct = sizeof(info)};
        if (EsepyGetErrorInfo(i, &info) < 0)
            break;
        PyObject *row = Py_BuildValue("(isiis)", (int)info.err, info.szName, (int)info.errcat,
                                      (int)info.fCanonical, info.szMessage);
        if (row == NULL || PyList_Append(list, row) < 0) {
            Py_XDECREF(row);
            Py_CLEAR(list);
            break;
        }
        Py_DECREF(row);
    }
    return list;
}

static PyObject *py_param_table(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list != NULL; i++) {
        ESEPY_PARAMINFO info = {.cbStruct = sizeof(info)};
        if (EsepyGetParamInfo(i, &info) < 0)
            break;
        PyObject *row = Py_BuildValue("(IssIIKKKzI)", info.paramid, info.szName, info.szPythonName,
                                      info.type, info.flags, (unsigned long long)info.lDefault,
                                      (unsigned long long)info.lMin, (unsigned long long)info.lMax,
                                      info.szDefault, info.cchMax);
        if (row == NULL || PyList_Append(list, row) < 0) {
            Py_XDECREF(row);
            Py_CLEAR(list);
            break;
        }
        Py_DECREF(row);
    }
    return list;
}

static PyObject *py_set_factories(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *ef, *wf;
    if (!PyArg_ParseTuple(args, "OO:_set_factories", &ef, &wf))
        return NULL;
    if (!PyCallable_Check(ef) || !PyCallable_Check(wf)) {
        PyErr_SetString(PyExc_TypeError, "factories must be callable");
        return NULL;
    }
    Py_INCREF(ef);
    Py_INCREF(wf);
    Py_XSETREF(g_state.error_factory, ef);
    Py_XSETREF(g_state.warning_factory, wf);
    Py_RETURN_NONE;
}

static PyObject *py_instance_info(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    uint32_t n = 0;
    JET_INSTANCE_INFO *rg = NULL;
    JET_ERR err;
    ESEPY_CALL(err = JetGetInstanceInfo(&n, &rg));
    if (check_jet(err, "JetGetInstanceInfo") < 0)
        return NULL;
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list != NULL && i < n; i++) {
        PyObject *dbs = PyList_New(0);
        for (JET_API_PTR k = 0; dbs != NULL && k < rg[i].cDatabases; k++) {
            PyObject *s = PyUnicode_DecodeUTF8(rg[i].szDatabaseFileName[k],
                                               (Py_ssize_t)strlen(rg[i].szDatabaseFileName[k]), "surrogateescape");
            if (s == NULL || PyList_Append(dbs, s) < 0)
                Py_CLEAR(dbs);
            Py_XDECREF(s);
        }
        PyObject *row = dbs ? Py_BuildValue("(KsN)", (unsigned long long)rg[i].hInstanceId,
                                            rg[i].szInstanceName, dbs)
                            : NULL;
        if (row == NULL || PyList_Append(list, row) < 0)
            Py_CLEAR(list);
        Py_XDECREF(row);
    }
    JetFreeBuffer((char *)rg);
    return list;
}

static PyObject *py_enable_multi_instance(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "O:_enable_multi_instance", &seq))
        return NULL;
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of (paramid, value) pairs");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    JET_SETSYSPARAM *rg = PyMem_Calloc((size_t)(n ? n : 1), sizeof(JET_SETSYSPARAM));
    PyObject **keep = PyMem_Calloc((size_t)(n ? n : 1), sizeof(PyObject *));
    PyObject *result = NULL;
    if (rg == NULL || keep == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned int pid;
        PyObject *value;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "IO", &pid, &value))
            goto done;
        rg[i].paramid = pid;
        if (param_value_arg(value, &rg[i].lParam, &rg[i].sz, &keep[i]) < 0)
            goto done;
    }
    uint32_t ok = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetEnableMultiInstance(rg, (uint32_t)n, &ok));
    if (check_jet(err, "JetEnableMultiInstance") < 0)
        goto done;
    result = PyLong_FromUnsignedLong(ok);
done:
    if (keep)
        for (Py_ssize_t i = 0; i < n; i++)
            Py_XDECREF(keep[i]);
    PyMem_Free(keep);
    PyMem_Free(rg);
    Py_DECREF(fast);
    return result;
}

static PyObject *py_test_fail_allocation(PyObject *self, PyObject *args)
{
    (void)self;
    unsigned int n;
    int persistent = 0;
    if (!PyArg_ParseTuple(args, "I|p:_test_fail_allocation", &n, &persistent))
        return NULL;
    uint32_t hits = 0;
    EsepyTestFailAllocation(n, persistent, &hits);
    return PyLong_FromUnsignedLong(hits);
}

static PyObject *py_process_state(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    int32_t mode = 0;
    uint32_t c = 0;
    EsepyTestGetProcessState(&mode, &c);
    return Py_BuildValue("(iI)", (int)mode, (unsigned int)c);
}

static PyObject *lgpos_tuple(const JET_LGPOS *p)
{
    return Py_BuildValue("(iII)", (int)p->lGeneration, (unsigned int)p->isec, (unsigned int)p->ib);
}

static PyObject *bkinfo_dict(const JET_BKINFO *b)
{
    return Py_BuildValue("{s:N,s:I,s:I}", "lgpos_mark", lgpos_tuple(&b->lgposMark), "gen_low", b->genLow,
                         "gen_high", b->genHigh);
}

/* JetGetDatabaseFileInfo(JET_DbInfoMisc) on a file, as a dict. */
static PyObject *py_database_file_info(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path;
    if (!PyArg_ParseTuple(args, "s:database_file_info", &path))
        return NULL;
    JET_DBINFOMISC m;
    JET_ERR err;
    ESEPY_CALL(err = JetGetDatabaseFileInfo(path, &m, sizeof(m), JET_DbInfoMisc));
    if (check_jet(err, "JetGetDatabaseFileInfo") < 0)
        return NULL;
    return Py_BuildValue("{s:I,s:I,s:I,s:I,s:N,s:N,s:N,s:N,s:N,s:N}", "version", m.ulVersion, "update", m.ulUpdate,
                         "dbstate", m.dbstate, "page_size", m.cbPageSize ? m.cbPageSize : 4096, "lgpos_consistent",
                         lgpos_tuple(&m.lgposConsistent), "lgpos_attach", lgpos_tuple(&m.lgposAttach),
                         "lgpos_detach", lgpos_tuple(&m.lgposDetach), "backup_full_prev",
                         bkinfo_dict(&m.bkinfoFullPrev), "backup_inc_prev", bkinfo_dict(&m.bkinfoIncPrev),
                         "backup_full_cur", bkinfo_dict(&m.bkinfoFullCur));
}

/* Backup and restore functions (they use handle_arg above). */
#include "py_backup.c"

static PyMethodDef module_methods[] = {
    BACKUP_METHODS
    {"_database_file_info", py_database_file_info, METH_VARARGS,
     "_database_file_info(path)\n--\n\nJetGetDatabaseFileInfo(JET_DbInfoMisc) as a dict."},
    {"_set_param", py_set_param, METH_VARARGS,
     "_set_param(handle_or_None, paramid, value)\n--\n\nJetSetSystemParameter on an instance handle, or on the "
     "process defaults with None."},
    {"_get_param", py_get_param, METH_VARARGS,
     "_get_param(handle_or_None, paramid, is_string)\n--\n\nJetGetSystemParameter."},
    {"error_string", py_error_string, METH_VARARGS,
     "error_string(code)\n--\n\nThe text JetGetSystemParameter(JET_paramErrorToString) gives for a JET_ERR code."},
    {"_error_table", py_error_table, METH_NOARGS,
     "_error_table()\n--\n\nRows (code, name, category, canonical, message) of the engine's error table."},
    {"_param_table", py_param_table, METH_NOARGS,
     "_param_table()\n--\n\nRows (paramid, name, python_name, type, flags, default, min, max, str_default, "
     "cch_max) of the engine's parameter table."},
    {"_set_factories", py_set_factories, METH_VARARGS,
     "_set_factories(error_factory, warning_factory)\n--\n\nInstall the callables that turn JET codes into "
     "exceptions and warnings."},
    {"_set_event_sink", py_set_event_sink, METH_O,
     "_set_event_sink(callable_or_None)\n--\n\nInstall the engine's event sink (EsepySetEventCallback)."},
    {"_instance_info", py_instance_info, METH_NOARGS,
     "_instance_info()\n--\n\nJetGetInstanceInfo: [(handle, name, [database paths])]."},
    {"_enable_multi_instance", py_enable_multi_instance, METH_VARARGS,
     "_enable_multi_instance(pairs)\n--\n\nJetEnableMultiInstance with (paramid, value) pairs; returns the "
     "count set."},
    {"_test_fail_allocation", py_test_fail_allocation, METH_VARARGS,
     "_test_fail_allocation(n, persistent=False)\n--\n\nTest hook: fail the n-th engine allocation from now "
     "(0 = off); returns the count failed so far."},
    {"_process_state", py_process_state, METH_NOARGS,
     "_process_state()\n--\n\nTest hook: (mode, instance count); mode 0 none, 1 one-instance, 2 multi-instance."},
    {NULL, NULL, 0, NULL},
};
