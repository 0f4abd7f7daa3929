/*
 * py_isam.c -- raw engine calls on a Session for databases, transactions and
 * tables by name (create / open / close / delete / rename, temporary tables,
 * table names).  Included by py_session.c; the calls through an open table
 * are methods of the Table type (py_table.c).  These are the building blocks
 * of esepy/_isam.py (Database, Table); each releases the
 * GIL around its engine call and raises the JET error's exception class.
 * Values cross as bytes; typing (int, str, datetime, ...) is done in Python.
 */

#define SESS_CALL(self, op, sesid)                       \
    JET_SESID sesid;                                     \
    if (session_handle((self), (op), &sesid) < 0)        \
        return NULL

static PyObject *ok_or_raise(JET_ERR err, const char *op)
{
    if (check_jet(err, op) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *s_create_database(SessionObject *self, PyObject *args)
{
    const char *path;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "s|I:_create_database", &path, &grbit))
        return NULL;
    SESS_CALL(self, "JetCreateDatabase2", sesid);
    JET_DBID dbid = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetCreateDatabase2(sesid, path, 0, &dbid, grbit));
    if (check_jet(err, "JetCreateDatabase2") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(dbid);
}

static PyObject *s_attach_database(SessionObject *self, PyObject *args)
{
    const char *path;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "s|I:_attach_database", &path, &grbit))
        return NULL;
    SESS_CALL(self, "JetAttachDatabase2", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetAttachDatabase2(sesid, path, 0, grbit));
    return ok_or_raise(err, "JetAttachDatabase2");
}

static PyObject *s_detach_database(SessionObject *self, PyObject *args)
{
    const char *path = NULL;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "z|I:_detach_database", &path, &grbit))
        return NULL;
    SESS_CALL(self, "JetDetachDatabase2", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetDetachDatabase2(sesid, path, grbit));
    return ok_or_raise(err, "JetDetachDatabase2");
}

/* JetCompact's progress for Python: JET_PFNSTATUS has no user context, so
 * the callable sits in a thread-local slot for the call (the engine calls
 * back on the calling thread).  The trampoline takes the GIL and calls
 * progress(done, total); an exception is kept, stops the compaction
 * (JET_errCallbackFailed) and is raised to the caller instead. */
typedef struct compact_slot {
    PyObject *callable; /* borrowed for the duration of the call */
    PyObject *exc_type, *exc_value, *exc_tb;
} compact_slot;

static _Thread_local compact_slot *t_compact;

static JET_ERR JET_API compact_trampoline(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void *pv)
{
    (void)sesid;
    (void)snp;
    (void)snt;
    compact_slot *slot = t_compact;
    if (slot == NULL || slot->callable == NULL || pv == NULL)
        return JET_errSuccess;
    const JET_SNPROG *prog = pv;
    PyGILState_STATE g = PyGILState_Ensure();
    JET_ERR err = JET_errSuccess;
    PyObject *r = PyObject_CallFunction(slot->callable, "kk", (unsigned long)prog->cunitDone,
                                        (unsigned long)prog->cunitTotal);
    if (r == NULL) {
        PyErr_Fetch(&slot->exc_type, &slot->exc_value, &slot->exc_tb);
        err = JET_errCallbackFailed;
    } else {
        Py_DECREF(r);
    }
    PyGILState_Release(g);
    return err;
}

static PyObject *s_compact(SessionObject *self, PyObject *args)
{
    const char *src, *dest;
    PyObject *cb = Py_None;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "ss|OI:_compact", &src, &dest, &cb, &grbit))
        return NULL;
    SESS_CALL(self, "JetCompact", sesid);
    compact_slot slot = { cb == Py_None ? NULL : cb, NULL, NULL, NULL };
    JET_ERR err;
    t_compact = &slot;
    ESEPY_CALL(err = JetCompact(sesid, src, dest, slot.callable ? compact_trampoline : NULL, NULL, grbit));
    t_compact = NULL;
    if (slot.exc_type != NULL) {
        PyErr_Restore(slot.exc_type, slot.exc_value, slot.exc_tb);
        return NULL;
    }
    return ok_or_raise(err, "JetCompact");
}

static PyObject *s_grow_database(SessionObject *self, PyObject *args)
{
    unsigned int dbid, cpg;
    if (!PyArg_ParseTuple(args, "II:_grow_database", &dbid, &cpg))
        return NULL;
    SESS_CALL(self, "JetGrowDatabase", sesid);
    uint32_t real = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetGrowDatabase(sesid, dbid, cpg, &real));
    if (check_jet(err, "JetGrowDatabase") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(real);
}

/* JetDefragment3's completion callback: pvContext is a strong reference to a
 * Python callable (or NULL), called with no arguments and released; the
 * engine calls this exactly once per task, on its own thread. */
static JET_ERR JET_API defrag_done(JET_SESID sesid, JET_DBID dbid, JET_TABLEID tableid, JET_CBTYP cbtyp, void *pv1,
                                   void *pv2, void *pvContext, JET_API_PTR ulUnused)
{
    (void)sesid, (void)dbid, (void)tableid, (void)cbtyp, (void)pv1, (void)pv2, (void)ulUnused;
    if (pvContext == NULL)
        return JET_errSuccess;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *r = PyObject_CallNoArgs((PyObject *)pvContext);
    if (r == NULL)
        PyErr_WriteUnraisable((PyObject *)pvContext);
    Py_XDECREF(r);
    Py_DECREF((PyObject *)pvContext);
    PyGILState_Release(g);
    return JET_errSuccess;
}

/* _defragment(path, table|None, passes, seconds, grbit, on_done|None) ->
 * (warning or 0, passes, seconds): JetDefragment3, start or stop. */
static PyObject *s_defragment(SessionObject *self, PyObject *args)
{
    const char *path, *table = NULL;
    unsigned int passes = 0, seconds = 0, grbit = 0;
    PyObject *on_done = Py_None;
    if (!PyArg_ParseTuple(args, "szIII|O:_defragment", &path, &table, &passes, &seconds, &grbit, &on_done))
        return NULL;
    SESS_CALL(self, "JetDefragment3", sesid);
    uint32_t cPasses = passes, cSeconds = seconds;
    void *ctx = NULL;
    if (on_done != Py_None) {
        Py_INCREF(on_done);
        ctx = on_done;
    }
    JET_ERR err;
    ESEPY_CALL(err = JetDefragment3(sesid, path, table, &cPasses, &cSeconds, ctx ? defrag_done : NULL, ctx, grbit));
    if (err != JET_errSuccess && ctx != NULL)
        Py_DECREF(on_done);   /* no task took it */
    if (err < 0)
        return ok_or_raise(err, "JetDefragment3");
    return Py_BuildValue("(iII)", (int)err, (unsigned int)cPasses, (unsigned int)cSeconds);
}

static PyObject *s_resize_database(SessionObject *self, PyObject *args)
{
    unsigned int dbid, cpg, grbit = 0;
    if (!PyArg_ParseTuple(args, "II|I:_resize_database", &dbid, &cpg, &grbit))
        return NULL;
    SESS_CALL(self, "JetResizeDatabase", sesid);
    uint32_t real = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetResizeDatabase(sesid, dbid, cpg, &real, grbit));
    if (check_jet(err, "JetResizeDatabase") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(real);
}

static PyObject *s_open_database(SessionObject *self, PyObject *args)
{
    const char *path;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "s|I:_open_database", &path, &grbit))
        return NULL;
    SESS_CALL(self, "JetOpenDatabase", sesid);
    JET_DBID dbid = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetOpenDatabase(sesid, path, NULL, &dbid, grbit));
    if (check_jet(err, "JetOpenDatabase") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(dbid);
}

static PyObject *s_close_database(SessionObject *self, PyObject *args)
{
    unsigned int dbid;
    if (!PyArg_ParseTuple(args, "I:_close_database", &dbid))
        return NULL;
    SESS_CALL(self, "JetCloseDatabase", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetCloseDatabase(sesid, dbid, 0));
    return ok_or_raise(err, "JetCloseDatabase");
}

static PyObject *s_grbit_call(SessionObject *self, PyObject *args, int which)
{
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "|I", &grbit))
        return NULL;
    static const char *ops[] = { "JetBeginTransaction2", "JetCommitTransaction", "JetRollback" };
    SESS_CALL(self, ops[which], sesid);
    JET_ERR err;
    if (which == 0)
        ESEPY_CALL(err = JetBeginTransaction2(sesid, grbit));
    else if (which == 1)
        ESEPY_CALL(err = JetCommitTransaction(sesid, grbit));
    else
        ESEPY_CALL(err = JetRollback(sesid, grbit));
    return ok_or_raise(err, ops[which]);
}

static PyObject *s_begin_transaction(SessionObject *self, PyObject *args) { return s_grbit_call(self, args, 0); }
/* _commit(grbit=0, cmsecDurableCommit=0) -> the commit id (JetCommitTransaction2). */
static PyObject *s_commit(SessionObject *self, PyObject *args)
{
    unsigned int grbit = 0, cmsec = 0;
    if (!PyArg_ParseTuple(args, "|II", &grbit, &cmsec))
        return NULL;
    SESS_CALL(self, "JetCommitTransaction2", sesid);
    JET_ERR err;
    JET_COMMIT_ID id;
    ESEPY_CALL(err = JetCommitTransaction2(sesid, grbit, cmsec, &id));
    if (check_jet(err, "JetCommitTransaction2") < 0)
        return NULL;
    return PyLong_FromLongLong(id.commitId);
}
static PyObject *s_rollback(SessionObject *self, PyObject *args) { return s_grbit_call(self, args, 2); }

static PyObject *s_table_call(SessionObject *self, PyObject *args, int create)
{
    unsigned int dbid, grbit = 0;
    const char *name;
    if (!PyArg_ParseTuple(args, "Is|I", &dbid, &name, &grbit))
        return NULL;
    const char *op = create ? "JetCreateTable" : "JetOpenTable";
    SESS_CALL(self, op, sesid);
    JET_TABLEID tableid = 0;
    JET_ERR err;
    if (create)
        ESEPY_CALL(err = JetCreateTable(sesid, dbid, name, 0, 0, &tableid));
    else
        ESEPY_CALL(err = JetOpenTable(sesid, dbid, name, NULL, 0, grbit, &tableid));
    if (check_jet(err, op) < 0)
        return NULL;
    return PyLong_FromUnsignedLongLong((unsigned long long)tableid);
}

static PyObject *s_create_table(SessionObject *self, PyObject *args) { return s_table_call(self, args, 1); }
static PyObject *s_open_table(SessionObject *self, PyObject *args) { return s_table_call(self, args, 0); }

static PyObject *s_close_table(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_close_table", &tableid))
        return NULL;
    SESS_CALL(self, "JetCloseTable", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetCloseTable(sesid, (JET_TABLEID)tableid));
    return ok_or_raise(err, "JetCloseTable");
}

static PyObject *s_delete_table(SessionObject *self, PyObject *args)
{
    unsigned int dbid;
    const char *name;
    if (!PyArg_ParseTuple(args, "Is:_delete_table", &dbid, &name))
        return NULL;
    SESS_CALL(self, "JetDeleteTable", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetDeleteTable(sesid, dbid, name));
    return ok_or_raise(err, "JetDeleteTable");
}

static PyObject *s_table_names(SessionObject *self, PyObject *args)
{
    unsigned int dbid;
    if (!PyArg_ParseTuple(args, "I:_table_names", &dbid))
        return NULL;
    SESS_CALL(self, "EsepyGetTableNames", sesid);
    uint32_t cb = 0, n = 0;
    JET_ERR err;
    ESEPY_CALL(err = EsepyGetTableNames(sesid, dbid, NULL, 0, &cb, &n));
    if (check_jet(err, "EsepyGetTableNames") < 0)
        return NULL;
    char *buf = PyMem_Malloc(cb ? cb : 1);
    if (buf == NULL)
        return PyErr_NoMemory();
    ESEPY_CALL(err = EsepyGetTableNames(sesid, dbid, buf, cb, &cb, &n));
    PyObject *list = NULL;
    if (check_jet(err, "EsepyGetTableNames") >= 0) {
        list = PyList_New(0);
        for (const char *p = buf; list && *p; p += strlen(p) + 1) {
            PyObject *s = PyUnicode_FromString(p);
            if (s == NULL || PyList_Append(list, s) < 0)
                Py_CLEAR(list);
            Py_XDECREF(s);
        }
    }
    PyMem_Free(buf);
    return list;
}

/* Several columns of the current record in one engine visit (the GIL is
 * released once): spec is a tuple of (columnid, grbit, multi) and the result
 * a list with, per entry, bytes or None -- or, for multi, the list of every
 * value (itagSequence 1, 2, ... up to the first NULL).  Values land in one
 * growing buffer; a truncated value is fetched again at its full size. */
typedef struct rc_spec {
    uint32_t columnid, grbit;
    int      multi;
} rc_spec;

static PyObject *s_rename_table(SessionObject *self, PyObject *args)
{
    unsigned int dbid;
    const char *name, *newname;
    if (!PyArg_ParseTuple(args, "Iss:_rename_table", &dbid, &name, &newname))
        return NULL;
    SESS_CALL(self, "JetRenameTable", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetRenameTable(sesid, dbid, name, newname));
    return ok_or_raise(err, "JetRenameTable");
}

static PyObject *split_szz(const char *p);

static PyObject *s_db_info(SessionObject *self, PyObject *args)
{
    unsigned int dbid;
    if (!PyArg_ParseTuple(args, "I:_db_info", &dbid))
        return NULL;
    SESS_CALL(self, "JetGetDatabaseInfo", sesid);
    JET_DBINFOMISC misc;
    uint32_t pages = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetGetDatabaseInfo(sesid, dbid, &misc, sizeof(misc), JET_DbInfoMisc));
    if (err >= 0)
        ESEPY_CALL(err = JetGetDatabaseInfo(sesid, dbid, &pages, sizeof(pages), JET_DbInfoFilesize));
    if (check_jet(err, "JetGetDatabaseInfo") < 0)
        return NULL;
    return Py_BuildValue("{s:I,s:I,s:I,s:(iii),s:(iii)}", "dbstate", misc.dbstate, "page_size", misc.cbPageSize,
                         "file_pages", pages, "lgpos_consistent", (int)misc.lgposConsistent.lGeneration,
                         (int)misc.lgposConsistent.isec, (int)misc.lgposConsistent.ib, "lgpos_attach",
                         (int)misc.lgposAttach.lGeneration, (int)misc.lgposAttach.isec, (int)misc.lgposAttach.ib);
}

static PyObject *split_szz(const char *p)
{
    PyObject *list = PyList_New(0);
    for (; list && *p; p += strlen(p) + 1) {
        PyObject *s = PyUnicode_FromString(p);
        if (s == NULL || PyList_Append(list, s) < 0)
            Py_CLEAR(list);
        Py_XDECREF(s);
    }
    return list;
}

/* JetOpenTempTable3: columns = [(coltyp, cbMax, grbit, cp)] (JET_bitColumnTTKey
 * ones form the key, in list order) -> (tableid, [columnids]). */
static PyObject *s_open_temp_table(SessionObject *self, PyObject *args)
{
    PyObject *cols;
    unsigned int grbit = 0;
    int fCase = 0;
    if (!PyArg_ParseTuple(args, "O!|Ip:_open_temp_table", &PyList_Type, &cols, &grbit, &fCase))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(cols);
    if (n <= 0 || n > 4096) {
        PyErr_SetString(PyExc_ValueError, "a temporary table needs 1..4096 columns");
        return NULL;
    }
    JET_COLUMNDEF *defs = PyMem_Calloc((size_t)n, sizeof(JET_COLUMNDEF));
    JET_COLUMNID *ids = PyMem_Calloc((size_t)n, sizeof(JET_COLUMNID));
    PyObject *result = NULL;
    if (defs == NULL || ids == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned int coltyp, cbMax, g, cp;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(cols, i), "IIII:_open_temp_table column", &coltyp, &cbMax, &g, &cp))
            goto done;
        defs[i].cbStruct = sizeof(JET_COLUMNDEF);
        defs[i].coltyp = coltyp;
        defs[i].cbMax = cbMax;
        defs[i].grbit = g;
        defs[i].cp = (unsigned short)cp;
    }
    JET_SESID sesid;
    if (session_handle(self, "JetOpenTempTable3", &sesid) < 0)
        goto done;
    JET_UNICODEINDEX ui = { 0x409, fCase ? 0u : 0x1u }; /* NORM_IGNORECASE unless case_sensitive */
    JET_TABLEID tableid = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetOpenTempTable3(sesid, defs, (uint32_t)n, &ui, grbit, &tableid, ids));
    if (check_jet(err, "JetOpenTempTable3") < 0)
        goto done;
    PyObject *lst = PyList_New(n);
    for (Py_ssize_t i = 0; lst && i < n; i++) {
        PyObject *v = PyLong_FromUnsignedLong(ids[i]);
        if (v == NULL)
            Py_CLEAR(lst);
        else
            PyList_SET_ITEM(lst, i, v);
    }
    if (lst)
        result = Py_BuildValue("(KN)", (unsigned long long)tableid, lst);
    if (result == NULL)
        ESEPY_CALL((void)JetCloseTable(sesid, tableid));
done:
    PyMem_Free(defs);
    PyMem_Free(ids);
    return result;
}

#define ISAM_METHODS                                                                                               \
    {"_create_database", (PyCFunction)s_create_database, METH_VARARGS, "JetCreateDatabase2(path, grbit) -> dbid"}, \
    {"_attach_database", (PyCFunction)s_attach_database, METH_VARARGS, "JetAttachDatabase2(path, grbit)"},         \
    {"_detach_database", (PyCFunction)s_detach_database, METH_VARARGS, "JetDetachDatabase2(path|None, grbit)"},    \
    {"_compact", (PyCFunction)s_compact, METH_VARARGS, "JetCompact(src, dest, progress|None, grbit)"},             \
    {"_grow_database", (PyCFunction)s_grow_database, METH_VARARGS, "JetGrowDatabase(dbid, cpg) -> pages"},       \
    {"_resize_database", (PyCFunction)s_resize_database, METH_VARARGS, "JetResizeDatabase(dbid, cpg, grbit) -> pages"}, \
    {"_defragment", (PyCFunction)s_defragment, METH_VARARGS, "JetDefragment3(path, table, passes, seconds, grbit, on_done)"}, \
    {"_open_database", (PyCFunction)s_open_database, METH_VARARGS, "JetOpenDatabase(path, grbit) -> dbid"},        \
    {"_close_database", (PyCFunction)s_close_database, METH_VARARGS, "JetCloseDatabase(dbid)"},                    \
    {"_db_info", (PyCFunction)s_db_info, METH_VARARGS, "JetGetDatabaseInfo: header fields as a dict"},             \
    {"_begin_transaction", (PyCFunction)s_begin_transaction, METH_VARARGS, "JetBeginTransaction2(grbit)"},         \
    {"_commit", (PyCFunction)s_commit, METH_VARARGS, "JetCommitTransaction2(grbit, cmsecDurableCommit) -> commit id"},                               \
    {"_rollback", (PyCFunction)s_rollback, METH_VARARGS, "JetRollback(grbit)"},                                    \
    {"_create_table", (PyCFunction)s_create_table, METH_VARARGS, "JetCreateTable(dbid, name) -> tableid"},         \
    {"_open_table", (PyCFunction)s_open_table, METH_VARARGS, "JetOpenTable(dbid, name, grbit) -> tableid"},        \
    {"_close_table", (PyCFunction)s_close_table, METH_VARARGS, "JetCloseTable(tableid)"},                          \
    {"_open_temp_table", (PyCFunction)s_open_temp_table, METH_VARARGS,                                             \
     "JetOpenTempTable3(columns, grbit=0, case_sensitive=False) -> (tableid, [columnids])"},                       \
    {"_delete_table", (PyCFunction)s_delete_table, METH_VARARGS, "JetDeleteTable(dbid, name)"},                    \
    {"_table_names", (PyCFunction)s_table_names, METH_VARARGS, "EsepyGetTableNames(dbid) -> [names]"},             \
    {"_rename_table", (PyCFunction)s_rename_table, METH_VARARGS, "JetRenameTable(dbid, name, new name)"},
