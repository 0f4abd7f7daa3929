/*
 * py_errors.c -- JET_ERR to Python: errors raise the exception class the
 * Python layer built for the code (esepy.errors), warnings are issued with
 * warnings.warn and never raised (unless the user turned warnings into
 * errors).  Included by module.c.
 */

/* Set a Python exception for error `err` raised by `operation`.  Returns NULL
 * so callers can `return raise_jet(...)`. */
static PyObject *raise_jet(JET_ERR err, const char *operation)
{
    if (g_state.error_factory == NULL) {
        PyErr_Format(PyExc_RuntimeError, "%s failed with JET error %d", operation, (int)err);
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(g_state.error_factory, "is", (int)err, operation);
    if (exc == NULL)
        return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

/* Report `err` after an engine call: < 0 raises (returns -1), > 0 issues a
 * warning (returns -1 only if the warning was turned into an exception),
 * 0 returns 0. */
static int check_jet(JET_ERR err, const char *operation)
{
    if (err < 0) {
        raise_jet(err, operation);
        return -1;
    }
    if (err > 0 && g_state.warning_factory != NULL) {
        PyObject *r = PyObject_CallFunction(g_state.warning_factory, "is", (int)err, operation);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}
