/*
 * module.c -- the CPython extension esepy._esepy (plain C API).
 *
 * Owns: the Python types Instance, Session and Table, the translation of JET_ERR
 * into Python exceptions and warnings (through factories that esepy/errors.py
 * installs), the event sink bridge to logging, and thin wrappers over the
 * parameter, error and instance-info APIs.  The per-type code lives in the
 * py_*.c files #included below, so every symbol stays static (the shared
 * object exports only PyInit__esepy).
 * Must not touch: engine internals -- it calls only the public API of
 * libesent.so (esent.h, esepy_ext.h), exactly as a C user would.
 *
 * GIL rule: every engine call is made through ESEPY_CALL, which releases the
 * GIL, so that engine locks are never waited for while holding it and so
 * that engine callbacks (events, progress) can take it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "esent.h"
#include "esepy_ext.h"

/* Run one engine statement without the GIL. */
#define ESEPY_CALL(stmt)          \
    do {                          \
        Py_BEGIN_ALLOW_THREADS    \
        stmt;                     \
        Py_END_ALLOW_THREADS      \
    } while (0)

/* Module state: the factories and sink installed by the Python layer.  All
 * are strong references or NULL; they are only read or written with the GIL. */
typedef struct {
    PyObject *error_factory;   /* callable(code, operation) -> exception instance */
    PyObject *warning_factory; /* callable(code, operation) -> None (issues the warning) */
    PyObject *event_sink;      /* callable(eventid, level, err, handle, name, op, message, fields) */
} module_state;

static module_state g_state; /* the one module instance's state (single-phase init) */

#include "py_errors.c"
#include "py_events.c"
#include "py_instance.c"
#include "py_session.c"
#include "py_table.c"
#include "py_functions.c"
#include "py_ese.c"
#include "py_eselog.c"
#include "py_eserecover.c"
#include "py_eseverify.c"
#include "py_esewrite.c"
#include "py_inspect.c"

static struct PyModuleDef esepy_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "esepy._esepy",
    .m_doc = "Native core of esepy: Instance and Session types and the raw engine calls.\n\n"
             "Use the esepy package, which wraps this module; it is not a stable API.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__esepy(void)
{
    if (PyType_Ready(&InstanceType) < 0 || PyType_Ready(&SessionType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&esepy_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&InstanceType);
    if (PyModule_AddObject(m, "Instance", (PyObject *)&InstanceType) < 0) {
        Py_DECREF(&InstanceType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&SessionType);
    if (PyModule_AddObject(m, "Session", (PyObject *)&SessionType) < 0) {
        Py_DECREF(&SessionType);
        Py_DECREF(m);
        return NULL;
    }
    if (table_register(m) < 0 || ese_register(m) < 0 || eselog_register(m) < 0 || eserecover_register(m) < 0 || eseverify_register(m) < 0 || esewrite_register(m) < 0 ||
        inspect_register(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
