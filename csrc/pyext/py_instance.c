/*
 * py_instance.c -- the Instance type: one JET_INSTANCE (created by
 * JetCreateInstance2, so the process is in multi-instance mode).  Included by
 * module.c.
 *
 * Lifetime rules: the Python object owns the engine instance; dealloc
 * terminates it if the user did not.  Sessions hold a strong reference to
 * their Instance; the Instance tracks its sessions through weak references
 * and closes them (parent invalidation) before it terminates, so a stale
 * Session raises instead of touching a freed engine handle.
 */

typedef struct {
    PyObject_HEAD
    JET_INSTANCE handle;   /* JET_instanceNil once terminated */
    int          initialized;
    PyObject    *sessions; /* list of weakrefs to SessionObject */
    PyObject    *weakreflist;
} InstanceObject;

static PyTypeObject InstanceType;
static PyTypeObject SessionType;
static void session_mark_closed(PyObject *session);

static PyObject *instance_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    InstanceObject *self = (InstanceObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->handle = JET_instanceNil;
    self->sessions = PyList_New(0);
    if (self->sessions == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int instance_init(InstanceObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"name", "display_name", NULL};
    const char *name = NULL, *display = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|zz:Instance", kwlist, &name, &display))
        return -1;
    if (self->handle != JET_instanceNil) {
        PyErr_SetString(PyExc_RuntimeError, "Instance.__init__ called twice");
        return -1;
    }
    JET_INSTANCE h = JET_instanceNil;
    JET_ERR err;
    ESEPY_CALL(err = JetCreateInstance2(&h, name, display, 0));
    if (check_jet(err, "JetCreateInstance2") < 0)
        return -1;
    self->handle = h;
    return 0;
}

/* Close every live Session of this instance (their engine sessions end with
 * the instance). */
static void instance_close_sessions(InstanceObject *self)
{
    Py_ssize_t n = PyList_GET_SIZE(self->sessions);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyWeakref_GetObject(PyList_GET_ITEM(self->sessions, i));
        if (s != Py_None)
            session_mark_closed(s);
    }
    PyList_SetSlice(self->sessions, 0, n, NULL);
}

static void instance_dealloc(InstanceObject *self)
{
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->handle != JET_instanceNil) {
        JET_INSTANCE h = self->handle;
        self->handle = JET_instanceNil;
        if (self->sessions)
            instance_close_sessions(self);
        ESEPY_CALL((void)JetTerm(h));
    }
    Py_XDECREF(self->sessions);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int instance_check_open(InstanceObject *self, const char *op)
{
    if (self->handle == JET_instanceNil) {
        raise_jet(JET_errInvalidParameter, op); /* the engine's answer for a freed instance */
        return -1;
    }
    return 0;
}

static PyObject *instance_py_init(InstanceObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"grbit", NULL};
    unsigned int grbit = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|I:init", kwlist, &grbit))
        return NULL;
    if (instance_check_open(self, "JetInit2") < 0)
        return NULL;
    JET_INSTANCE h = self->handle;
    JET_ERR err;
    ESEPY_CALL(err = JetInit2(&h, grbit));
    if (err >= 0)
        self->initialized = 1;
    else if (h == 0) {
        /* The engine freed the instance, as ESENT does after a failed init. */
        self->handle = JET_instanceNil;
        instance_close_sessions(self);
    }
    if (check_jet(err, "JetInit2") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *instance_term(InstanceObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"grbit", NULL};
    unsigned int grbit = JET_bitTermAbrupt;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|I:term", kwlist, &grbit))
        return NULL;
    if (self->handle == JET_instanceNil)
        Py_RETURN_NONE; /* terminating twice is harmless, like closing a file twice */
    JET_INSTANCE h = self->handle;
    self->handle = JET_instanceNil; /* no other thread may use it from now on */
    JET_ERR err;
    ESEPY_CALL(err = JetTerm2(h, grbit));
    if (err < 0 && err != JET_errDirtyShutdown) {
        self->handle = h; /* still alive (e.g. bad grbit): keep it usable */
        return raise_jet(err, "JetTerm2");
    }
    self->initialized = 0;
    instance_close_sessions(self);
    if (check_jet(err, "JetTerm2") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *instance_begin_session(InstanceObject *self, PyObject *noargs);

static PyObject *instance_get_handle(InstanceObject *self, void *closure)
{
    (void)closure;
    if (self->handle == JET_instanceNil)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong((unsigned long long)self->handle);
}

static PyObject *instance_get_initialized(InstanceObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->handle != JET_instanceNil && self->initialized);
}

static PyMethodDef instance_methods[] = {
    {"init", (PyCFunction)(void (*)(void))instance_py_init, METH_VARARGS | METH_KEYWORDS,
     "init(grbit=0)\n--\n\nInitialize the instance (JetInit2): check and lock its folders, run\n"
     "crash recovery, make it ready for sessions.  Raises esepy.errors.AlreadyInitialized,\n"
     "InvalidPath, SystemPathInUse, LogFilePathInUse, TempPathInUse, ...; as in ESENT a failed\n"
     "init frees the instance (it is terminated afterwards)."},
    {"term", (PyCFunction)(void (*)(void))instance_term, METH_VARARGS | METH_KEYWORDS,
     "term(grbit=JET_bitTermAbrupt)\n--\n\nShut the instance down and free it (JetTerm2).  Its sessions are\n"
     "closed.  Calling term() again does nothing."},
    {"begin_session", (PyCFunction)instance_begin_session, METH_NOARGS,
     "begin_session()\n--\n\nStart a session (JetBeginSession) and return it as a Session."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef instance_getset[] = {
    {"handle", (getter)instance_get_handle, NULL, "The JET_INSTANCE handle as an int, or None once terminated.", NULL},
    {"initialized", (getter)instance_get_initialized, NULL, "True between a successful init() and term().", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject InstanceType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.Instance",
    .tp_basicsize = sizeof(InstanceObject),
    .tp_dealloc = (destructor)instance_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Instance(name=None, display_name=None)\n--\n\n"
              "An engine instance (JetCreateInstance2): one log stream and its databases.",
    .tp_weaklistoffset = offsetof(InstanceObject, weakreflist),
    .tp_methods = instance_methods,
    .tp_getset = instance_getset,
    .tp_init = (initproc)instance_init,
    .tp_new = instance_new,
};
