/*
 * py_session.c -- the Session type: one JET_SESID of an Instance.  Included
 * by module.c.  A Session keeps its Instance alive; once closed (end(), the
 * instance's term(), or garbage collection) its handle is JET_sesidNil and
 * engine calls through it raise esepy.errors.InvalidSesid.
 */

typedef struct {
    PyObject_HEAD
    JET_SESID       sesid;    /* JET_sesidNil once closed */
    InstanceObject *instance; /* strong reference */
    PyObject       *weakreflist;
} SessionObject;

static void session_mark_closed(PyObject *obj)
{
    ((SessionObject *)obj)->sesid = JET_sesidNil;
}

static PyObject *instance_begin_session(InstanceObject *self, PyObject *noargs)
{
    (void)noargs;
    if (instance_check_open(self, "JetBeginSession") < 0)
        return NULL;
    JET_SESID sesid = JET_sesidNil;
    JET_ERR err;
    JET_INSTANCE h = self->handle;
    ESEPY_CALL(err = JetBeginSession(h, &sesid, NULL, NULL));
    if (check_jet(err, "JetBeginSession") < 0)
        return NULL;
    /* The Python layer may name a subclass (Instance._session_class). */
    PyTypeObject *tp = &SessionType;
    PyObject *cls = PyObject_GetAttrString((PyObject *)Py_TYPE(self), "_session_class");
    if (cls && PyType_Check(cls) && PyType_IsSubtype((PyTypeObject *)cls, &SessionType))
        tp = (PyTypeObject *)cls;
    else
        PyErr_Clear();
    SessionObject *s = (SessionObject *)tp->tp_alloc(tp, 0); /* tracked by the GC */
    Py_XDECREF(cls);
    if (s == NULL) {
        ESEPY_CALL((void)JetEndSession(sesid, 0));
        return NULL;
    }
    s->sesid = sesid;
    s->weakreflist = NULL;
    Py_INCREF(self);
    s->instance = self;
    if (self->handle != h) {
        /* Another thread terminated the instance while the engine call ran
         * without the GIL: the engine session ended with it. */
        s->sesid = JET_sesidNil;
        return (PyObject *)s;
    }
    PyObject *ref = PyWeakref_NewRef((PyObject *)s, NULL);
    if (ref == NULL || PyList_Append(self->sessions, ref) < 0) {
        Py_XDECREF(ref);
        Py_DECREF(s);
        return NULL;
    }
    Py_DECREF(ref);
    return (PyObject *)s;
}

static PyObject *session_end(SessionObject *self, PyObject *noargs)
{
    (void)noargs;
    if (self->sesid == JET_sesidNil)
        Py_RETURN_NONE;
    JET_SESID sesid = self->sesid;
    self->sesid = JET_sesidNil;
    JET_ERR err;
    ESEPY_CALL(err = JetEndSession(sesid, 0));
    if (err == JET_errSessionSharingViolation)
        self->sesid = sesid; /* another thread is inside it: still open */
    if (check_jet(err, "JetEndSession") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int session_traverse(SessionObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->instance);
    return 0;
}

/* Breaking a reference cycle: drop the Instance reference only.  The engine
 * session is ended by dealloc (or was closed by the instance's term). */
static int session_clear(SessionObject *self)
{
    Py_CLEAR(self->instance);
    return 0;
}

static void session_dealloc(SessionObject *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->sesid != JET_sesidNil) {
        JET_SESID sesid = self->sesid;
        self->sesid = JET_sesidNil;
        ESEPY_CALL((void)JetEndSession(sesid, 0));
    }
    Py_CLEAR(self->instance);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *session_get_sesid(SessionObject *self, void *closure)
{
    (void)closure;
    if (self->sesid == JET_sesidNil)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong((unsigned long long)self->sesid);
}

static PyObject *session_get_closed(SessionObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->sesid == JET_sesidNil);
}

static PyObject *session_get_instance(SessionObject *self, void *closure)
{
    (void)closure;
    if (self->instance == NULL)
        Py_RETURN_NONE;
    Py_INCREF(self->instance);
    return (PyObject *)self->instance;
}

/* The session handle for an engine call, or NULL with InvalidSesid set. */
static int session_handle(SessionObject *self, const char *op, JET_SESID *psesid)
{
    if (self->sesid == JET_sesidNil) {
        raise_jet(JET_errInvalidSesid, op);
        return -1;
    }
    *psesid = self->sesid;
    return 0;
}

static PyObject *session_hold(SessionObject *self, PyObject *args)
{
    unsigned int ms;
    if (!PyArg_ParseTuple(args, "I:_hold", &ms))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "EsepyTestHoldSession", &sesid) < 0)
        return NULL;
    JET_ERR err;
    ESEPY_CALL(err = EsepyTestHoldSession(sesid, ms));
    if (check_jet(err, "EsepyTestHoldSession") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *session_enter(SessionObject *self, PyObject *noargs)
{
    (void)noargs;
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *session_exit(SessionObject *self, PyObject *args)
{
    (void)args;
    return session_end(self, NULL);
}

#include "py_isam.c"

static PyMethodDef session_methods[] = {
    ISAM_METHODS
    {"__enter__", (PyCFunction)session_enter, METH_NOARGS, "Return the session itself."},
    {"__exit__", (PyCFunction)session_exit, METH_VARARGS, "End the session."},
    {"end", (PyCFunction)session_end, METH_NOARGS,
     "end()\n--\n\nEnd the session (JetEndSession), rolling back what it left open.\n"
     "Ending a closed session does nothing."},
    {"_hold", (PyCFunction)session_hold, METH_VARARGS,
     "_hold(ms)\n--\n\nTest hook: occupy the session for ms milliseconds (EsepyTestHoldSession)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef session_getset[] = {
    {"sesid", (getter)session_get_sesid, NULL, "The JET_SESID handle as an int, or None once closed.", NULL},
    {"closed", (getter)session_get_closed, NULL, "True once the session has ended.", NULL},
    {"instance", (getter)session_get_instance, NULL, "The Instance this session belongs to.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject SessionType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.Session",
    .tp_basicsize = sizeof(SessionObject),
    .tp_dealloc = (destructor)session_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A session of an Instance (JetBeginSession); create with Instance.begin_session().",
    .tp_traverse = (traverseproc)session_traverse,
    .tp_clear = (inquiry)session_clear,
    .tp_weaklistoffset = offsetof(SessionObject, weakreflist),
    .tp_methods = session_methods,
    .tp_getset = session_getset,
};
