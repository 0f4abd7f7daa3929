/*
 * py_events.c -- the bridge from the engine's event sink to Python's logging
 * (the Python layer installs a callable that logs to logging.getLogger("esepy")).
 * Included by module.c.
 *
 * The engine calls the sink on whatever thread does the work, without the GIL
 * (engine calls release it), so the bridge takes the GIL itself.  Nothing is
 * delivered while the interpreter is finalizing.  An exception raised by the
 * Python sink is reported as unraisable: events are notifications and never
 * change the outcome of the operation that emitted them.
 */

static int interpreter_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

static void event_bridge(const ESEPY_EVENT *ev, void *ctx)
{
    (void)ctx;
    if (!Py_IsInitialized() || interpreter_finalizing())
        return;
    PyGILState_STATE gs = PyGILState_Ensure();
    /* The engine may emit while an exception is propagating (an Instance freed
     * during unwinding terminates its engine instance): keep it intact. */
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    PyObject *sink = g_state.event_sink;
    if (sink != NULL) {
        Py_INCREF(sink);
        PyObject *fields = PyDict_New();
        int ok = fields != NULL;
        for (uint32_t i = 0; ok && i < ev->cfields; i++) {
            PyObject *v = PyUnicode_DecodeUTF8(ev->rgfields[i].szValue ? ev->rgfields[i].szValue : "",
                                               (Py_ssize_t)strlen(ev->rgfields[i].szValue ? ev->rgfields[i].szValue : ""),
                                               "surrogateescape");
            ok = v != NULL && PyDict_SetItemString(fields, ev->rgfields[i].szKey, v) == 0;
            Py_XDECREF(v);
        }
        PyObject *r = NULL;
        if (ok)
            r = PyObject_CallFunction(sink, "IiiKsssO", (unsigned int)ev->eventid, (int)ev->level,
                                      (int)ev->err, (unsigned long long)ev->instance, ev->szInstanceName,
                                      ev->szOperation, ev->szMessage, fields);
        if (r == NULL)
            PyErr_WriteUnraisable(sink);
        Py_XDECREF(r);
        Py_XDECREF(fields);
        Py_DECREF(sink);
    }
    PyErr_Restore(exc_type, exc_value, exc_tb);
    PyGILState_Release(gs);
}

static PyObject *py_set_event_sink(PyObject *self, PyObject *arg)
{
    (void)self;
    if (arg != Py_None && !PyCallable_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "the event sink must be callable or None");
        return NULL;
    }
    JET_ERR err;
    if (arg == Py_None) {
        ESEPY_CALL(err = EsepySetEventCallback(NULL, NULL));
        Py_CLEAR(g_state.event_sink);
    } else {
        Py_INCREF(arg);
        Py_XSETREF(g_state.event_sink, arg);
        ESEPY_CALL(err = EsepySetEventCallback(event_bridge, NULL));
    }
    if (check_jet(err, "EsepySetEventCallback") < 0)
        return NULL;
    Py_RETURN_NONE;
}
