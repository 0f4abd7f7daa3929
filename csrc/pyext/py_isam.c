/*
 * py_isam.c -- raw engine calls on a Session for databases, transactions,
 * tables, columns, indexes and records.  Included by module.c.  These are
 * the building blocks of esepy/_isam.py (Database, Table); each releases the
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
static PyObject *s_commit(SessionObject *self, PyObject *args) { return s_grbit_call(self, args, 1); }
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

static PyObject *s_add_column(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name;
    unsigned int coltyp, cbMax, grbit, cp;
    Py_buffer def = { 0 };
    if (!PyArg_ParseTuple(args, "KsIIII|z*:_add_column", &tableid, &name, &coltyp, &cbMax, &grbit, &cp, &def))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "JetAddColumn", &sesid) < 0) {
        PyBuffer_Release(&def);
        return NULL;
    }
    JET_COLUMNDEF cd = { sizeof(cd), 0, coltyp, 0, 0, (unsigned short)cp, 0, cbMax, grbit };
    JET_COLUMNID columnid = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetAddColumn(sesid, (JET_TABLEID)tableid, name, &cd, def.buf, (uint32_t)def.len, &columnid));
    PyBuffer_Release(&def);
    if (check_jet(err, "JetAddColumn") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(columnid);
}

static PyObject *s_column_info(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name;
    if (!PyArg_ParseTuple(args, "Ks:_column_info", &tableid, &name))
        return NULL;
    SESS_CALL(self, "JetGetTableColumnInfo", sesid);
    JET_COLUMNDEF cd;
    JET_ERR err;
    ESEPY_CALL(err = JetGetTableColumnInfo(sesid, (JET_TABLEID)tableid, name, &cd, sizeof(cd), JET_ColInfo));
    if (check_jet(err, "JetGetTableColumnInfo") < 0)
        return NULL;
    return Py_BuildValue("(IIIII)", cd.columnid, cd.coltyp, cd.cbMax, cd.grbit, (unsigned int)cd.cp);
}

static PyObject *s_create_index(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name;
    unsigned int grbit;
    Py_buffer key;
    if (!PyArg_ParseTuple(args, "KsIy*:_create_index", &tableid, &name, &grbit, &key))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "JetCreateIndex", &sesid) < 0) {
        PyBuffer_Release(&key);
        return NULL;
    }
    JET_ERR err;
    ESEPY_CALL(err = JetCreateIndex(sesid, (JET_TABLEID)tableid, name, grbit, key.buf, (uint32_t)key.len, 0));
    PyBuffer_Release(&key);
    return ok_or_raise(err, "JetCreateIndex");
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

static PyObject *s_prepare_update(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int prep;
    if (!PyArg_ParseTuple(args, "KI:_prepare_update", &tableid, &prep))
        return NULL;
    SESS_CALL(self, "JetPrepareUpdate", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetPrepareUpdate(sesid, (JET_TABLEID)tableid, prep));
    return ok_or_raise(err, "JetPrepareUpdate");
}

static PyObject *s_set_column(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int columnid, grbit = 0, itag = 1, ib = 0;
    Py_buffer val = { 0 };
    if (!PyArg_ParseTuple(args, "KIz*|III:_set_column", &tableid, &columnid, &val, &grbit, &itag, &ib))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "JetSetColumn", &sesid) < 0) {
        PyBuffer_Release(&val);
        return NULL;
    }
    if (val.buf != NULL && val.len == 0)
        grbit |= JET_bitSetZeroLength;
    JET_SETINFO si = { sizeof(si), ib, itag };
    JET_ERR err;
    ESEPY_CALL(err = JetSetColumn(sesid, (JET_TABLEID)tableid, columnid, val.buf, (uint32_t)val.len, grbit, &si));
    PyBuffer_Release(&val);
    return ok_or_raise(err, "JetSetColumn");
}

static PyObject *s_update(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_update", &tableid))
        return NULL;
    SESS_CALL(self, "JetUpdate", sesid);
    unsigned char bm[JET_cbKeyMost + 16];
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetUpdate(sesid, (JET_TABLEID)tableid, bm, sizeof(bm), &cb));
    if (check_jet(err, "JetUpdate") < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)bm, cb);
}

/* A whole insert in one engine visit: JetPrepareUpdate(JET_prepInsert),
 * JetSetColumns over items -- a tuple of (columnid, bytes | None, grbit,
 * itagSequence) -- and JetUpdate, the GIL released once.  On any error the
 * update is cancelled and the error raised; returns the new bookmark.  The
 * bytes stay alive through the items tuple the caller holds. */
static PyObject *s_insert(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    PyObject *items;
    if (!PyArg_ParseTuple(args, "KO!:_insert", &tableid, &PyTuple_Type, &items))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(items);
    JET_SETCOLUMN *sc = PyMem_Calloc(n ? (size_t)n : 1, sizeof(*sc));
    if (sc == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned int columnid, grbit, itag;
        PyObject *value;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(items, i), "IOII:_insert item", &columnid, &value, &grbit, &itag)) {
            PyMem_Free(sc);
            return NULL;
        }
        if (value != Py_None && !PyBytes_Check(value)) {
            PyMem_Free(sc);
            PyErr_SetString(PyExc_TypeError, "_insert: a value must be bytes or None");
            return NULL;
        }
        sc[i].columnid = columnid;
        sc[i].pvData = value == Py_None ? NULL : PyBytes_AS_STRING(value);
        sc[i].cbData = value == Py_None ? 0 : (uint32_t)PyBytes_GET_SIZE(value);
        sc[i].grbit = grbit;
        sc[i].itagSequence = itag;
    }
    JET_SESID sesid;
    if (session_handle(self, "JetUpdate", &sesid) < 0) {
        PyMem_Free(sc);
        return NULL;
    }
    unsigned char bm[JET_cbKeyMost + 16];
    uint32_t cb = 0;
    JET_ERR err;
    const char *op = "JetPrepareUpdate";
    Py_BEGIN_ALLOW_THREADS
    err = JetPrepareUpdate(sesid, (JET_TABLEID)tableid, JET_prepInsert);
    if (err >= 0) {
        op = "JetSetColumns";
        err = JetSetColumns(sesid, (JET_TABLEID)tableid, sc, (uint32_t)n);
    }
    if (err >= 0) {
        op = "JetUpdate";
        err = JetUpdate(sesid, (JET_TABLEID)tableid, bm, sizeof(bm), &cb);
    }
    if (err < 0 && strcmp(op, "JetPrepareUpdate") != 0)
        (void)JetPrepareUpdate(sesid, (JET_TABLEID)tableid, JET_prepCancel);
    Py_END_ALLOW_THREADS
    PyMem_Free(sc);
    if (check_jet(err, op) < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)bm, cb);
}

static PyObject *s_delete(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_delete", &tableid))
        return NULL;
    SESS_CALL(self, "JetDelete", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetDelete(sesid, (JET_TABLEID)tableid));
    return ok_or_raise(err, "JetDelete");
}

/* bytes of the column, or None when NULL.  Sizes itself: retries with the
 * full length when the first buffer was short. */
static PyObject *s_retrieve_column(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int columnid, grbit = 0, itag = 1;
    if (!PyArg_ParseTuple(args, "KI|II:_retrieve_column", &tableid, &columnid, &grbit, &itag))
        return NULL;
    SESS_CALL(self, "JetRetrieveColumn", sesid);
    char small[256];
    uint32_t cb = 0;
    JET_RETINFO ri = { sizeof(ri), 0, itag, 0 };
    JET_ERR err;
    ESEPY_CALL(err = JetRetrieveColumn(sesid, (JET_TABLEID)tableid, columnid, small, sizeof(small), &cb, grbit, &ri));
    if (err == JET_wrnColumnNull)
        Py_RETURN_NONE;
    if (err == JET_wrnBufferTruncated) {
        PyObject *b = PyBytes_FromStringAndSize(NULL, cb);
        if (b == NULL)
            return NULL;
        uint32_t cb2 = 0;
        char *p = PyBytes_AS_STRING(b);
        ESEPY_CALL(err = JetRetrieveColumn(sesid, (JET_TABLEID)tableid, columnid, p, cb, &cb2, grbit, &ri));
        if (check_jet(err, "JetRetrieveColumn") < 0) {
            Py_DECREF(b);
            return NULL;
        }
        return b;
    }
    if (check_jet(err, "JetRetrieveColumn") < 0)
        return NULL;
    return PyBytes_FromStringAndSize(small, cb);
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

typedef struct rc_item {
    uint32_t ispec;
    int      null;
    size_t   off;
    uint32_t cb;
} rc_item;

typedef struct rc_run {
    JET_SESID   sesid;
    JET_TABLEID tableid;
    const rc_spec *specs;
    Py_ssize_t  cspec;
    char       *buf;
    size_t      cbUsed, cbAlloc;
    rc_item    *items;
    size_t      citem, citemAlloc;
    JET_ERR     err;
    int         oom;
} rc_run;

static int rc_reserve(rc_run *r, size_t cbMore)
{
    if (r->cbUsed + cbMore > r->cbAlloc) {
        size_t n = r->cbAlloc ? r->cbAlloc : 4096;
        while (n < r->cbUsed + cbMore)
            n *= 2;
        char *p = realloc(r->buf, n);
        if (p == NULL)
            return -1;
        r->buf = p;
        r->cbAlloc = n;
    }
    if (r->citem == r->citemAlloc) {
        size_t n = r->citemAlloc ? 2 * r->citemAlloc : 16;
        rc_item *p = realloc(r->items, n * sizeof(*p));
        if (p == NULL)
            return -1;
        r->items = p;
        r->citemAlloc = n;
    }
    return 0;
}

#define RC_SLOT 256 /* first-pass bytes per column */

/* Value itag of spec i, into the arena (fetched again at full size when
 * truncated).  1: a value was added; 0: NULL; -1: error / no memory in r. */
static int rc_one(rc_run *r, Py_ssize_t i, uint32_t itag)
{
    const rc_spec *ps = &r->specs[i];
    size_t cbWant = RC_SLOT;
    for (;;) {
        if (rc_reserve(r, cbWant) < 0) {
            r->oom = 1;
            return -1;
        }
        uint32_t cb = 0;
        JET_RETINFO ri = { sizeof(ri), 0, itag, 0 };
        JET_ERR err = JetRetrieveColumn(r->sesid, r->tableid, ps->columnid, r->buf + r->cbUsed,
                                        (uint32_t)(r->cbAlloc - r->cbUsed), &cb, ps->grbit, &ri);
        if (err == JET_wrnBufferTruncated && cb > r->cbAlloc - r->cbUsed) {
            cbWant = cb;
            continue;
        }
        if (err < 0) {
            r->err = err;
            return -1;
        }
        if (err == JET_wrnColumnNull)
            return 0;
        r->items[r->citem++] = (rc_item){ (uint32_t)i, 0, r->cbUsed, cb };
        r->cbUsed += cb;
        return 1;
    }
}

/* Runs without the GIL: plain C only.  One JetRetrieveColumns reads the
 * first value of every column (the record is read once); values that did
 * not fit their slot and the further values of multi-valued columns follow
 * one JetRetrieveColumn each. */
static void rc_retrieve(rc_run *r)
{
    Py_ssize_t n = r->cspec;
    JET_RETRIEVECOLUMN *prc = calloc(n ? (size_t)n : 1, sizeof(*prc));
    if (prc == NULL || rc_reserve(r, (size_t)n * RC_SLOT + 1) < 0) {
        free(prc);
        r->oom = 1;
        return;
    }
    r->cbUsed = (size_t)n * RC_SLOT; /* the slots; values found there are referenced in place */
    for (Py_ssize_t i = 0; i < n; i++) {
        prc[i].columnid = r->specs[i].columnid;
        prc[i].pvData = r->buf + (size_t)i * RC_SLOT;
        prc[i].cbData = RC_SLOT;
        prc[i].grbit = r->specs[i].grbit;
        prc[i].itagSequence = 1;
    }
    JET_ERR err = JetRetrieveColumns(r->sesid, r->tableid, prc, (uint32_t)n);
    if (err < 0) {
        r->err = err;
        free(prc);
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const rc_spec *ps = &r->specs[i];
        if (rc_reserve(r, 0) < 0) {
            r->oom = 1;
            break;
        }
        if (prc[i].err == JET_wrnColumnNull) {
            if (!ps->multi)
                r->items[r->citem++] = (rc_item){ (uint32_t)i, 1, 0, 0 };
            continue;
        }
        if (prc[i].err == JET_wrnBufferTruncated) {
            if (rc_one(r, i, 1) < 0)
                break;
        } else {
            r->items[r->citem++] = (rc_item){ (uint32_t)i, 0, (size_t)i * RC_SLOT, prc[i].cbActual };
        }
        if (ps->multi) {
            int got = 1;
            for (uint32_t itag = 2; got > 0; itag++)
                got = rc_one(r, i, itag);
            if (got < 0)
                break;
        }
    }
    free(prc);
}

static PyObject *s_retrieve_columns(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "KO!:_retrieve_columns", &tableid, &PyTuple_Type, &spec))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    rc_spec *specs = PyMem_Calloc(n ? (size_t)n : 1, sizeof(rc_spec));
    if (specs == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned int columnid, grbit;
        int multi;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(spec, i), "IIp:_retrieve_columns spec", &columnid, &grbit, &multi)) {
            PyMem_Free(specs);
            return NULL;
        }
        specs[i] = (rc_spec){ columnid, grbit, multi };
    }
    JET_SESID sesid;
    if (session_handle(self, "JetRetrieveColumn", &sesid) < 0) {
        PyMem_Free(specs);
        return NULL;
    }
    rc_run r = { sesid, (JET_TABLEID)tableid, specs, n, NULL, 0, 0, NULL, 0, 0, 0, 0 };
    ESEPY_CALL(rc_retrieve(&r));
    PyObject *out = NULL;
    if (r.oom) {
        PyErr_NoMemory();
    } else if (check_jet(r.err, "JetRetrieveColumn") >= 0 && (out = PyList_New(n)) != NULL) {
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = specs[i].multi ? PyList_New(0) : (Py_INCREF(Py_None), Py_None);
            if (v == NULL) {
                Py_CLEAR(out);
                break;
            }
            PyList_SET_ITEM(out, i, v);
        }
        for (size_t k = 0; out && k < r.citem; k++) {
            const rc_item *it = &r.items[k];
            if (it->null)
                continue;
            PyObject *b = PyBytes_FromStringAndSize(r.buf + it->off, it->cb);
            if (b == NULL) {
                Py_CLEAR(out);
                break;
            }
            if (specs[it->ispec].multi) {
                int rc = PyList_Append(PyList_GET_ITEM(out, it->ispec), b);
                Py_DECREF(b);
                if (rc < 0)
                    Py_CLEAR(out);
            } else {
                PyList_SetItem(out, it->ispec, b); /* steals b, drops the None */
            }
        }
    }
    free(r.buf);
    free(r.items);
    PyMem_Free(specs);
    return out;
}

/* JetGetLock(tableid, grbit): JET_bitReadLock or JET_bitWriteLock on the current record. */
static PyObject *s_get_lock(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "KI:_get_lock", &tableid, &grbit))
        return NULL;
    SESS_CALL(self, "JetGetLock", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetGetLock(sesid, (JET_TABLEID)tableid, grbit));
    return ok_or_raise(err, "JetGetLock");
}

/* JetDupCursor: a new cursor on the same table and index, not positioned. */
static PyObject *s_dup_cursor(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_dup_cursor", &tableid))
        return NULL;
    SESS_CALL(self, "JetDupCursor", sesid);
    JET_TABLEID t = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetDupCursor(sesid, (JET_TABLEID)tableid, &t, 0));
    if (check_jet(err, "JetDupCursor") < 0)
        return NULL;
    return PyLong_FromUnsignedLongLong((unsigned long long)t);
}

/* A piece of a long value: (bytes from ib, at most cb; bytes from ib to the
 * end), or None when NULL. */
static PyObject *s_read_value(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int columnid, ib, cbMax, grbit = 0, itag = 1;
    if (!PyArg_ParseTuple(args, "KIII|II:_read_value", &tableid, &columnid, &ib, &cbMax, &grbit, &itag))
        return NULL;
    SESS_CALL(self, "JetRetrieveColumn", sesid);
    PyObject *b = PyBytes_FromStringAndSize(NULL, cbMax);
    if (b == NULL)
        return NULL;
    uint32_t cb = 0;
    JET_RETINFO ri = { sizeof(ri), ib, itag, 0 };
    JET_ERR err;
    char *p = PyBytes_AS_STRING(b);
    ESEPY_CALL(err = JetRetrieveColumn(sesid, (JET_TABLEID)tableid, columnid, p, cbMax, &cb, grbit, &ri));
    if (err == JET_wrnColumnNull) {
        Py_DECREF(b);
        Py_RETURN_NONE;
    }
    if (err != JET_wrnBufferTruncated && check_jet(err, "JetRetrieveColumn") < 0) {
        Py_DECREF(b);
        return NULL;
    }
    if (cb < cbMax && _PyBytes_Resize(&b, cb) < 0)
        return NULL;
    PyObject *r = Py_BuildValue("(OI)", b, cb);
    Py_DECREF(b);
    return r;
}

/* JetEscrowUpdate(tableid, columnid, delta bytes[, grbit]) -> the value before. */
static PyObject *s_escrow_update(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int columnid;
    unsigned int grbit = 0;
    Py_buffer delta;
    if (!PyArg_ParseTuple(args, "KIy*|I:_escrow_update", &tableid, &columnid, &delta, &grbit))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "JetEscrowUpdate", &sesid) < 0) {
        PyBuffer_Release(&delta);
        return NULL;
    }
    unsigned char old[8];
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetEscrowUpdate(sesid, (JET_TABLEID)tableid, columnid, delta.buf, (uint32_t)delta.len, old,
                                     sizeof(old), &cb, (JET_GRBIT)grbit));
    PyBuffer_Release(&delta);
    if (check_jet(err, "JetEscrowUpdate") < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)old, cb < sizeof(old) ? cb : sizeof(old));
}

static PyObject *s_delete_column(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name;
    if (!PyArg_ParseTuple(args, "Ks:_delete_column", &tableid, &name))
        return NULL;
    SESS_CALL(self, "JetDeleteColumn", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetDeleteColumn(sesid, (JET_TABLEID)tableid, name));
    return ok_or_raise(err, "JetDeleteColumn");
}

static PyObject *s_rename_column(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name, *newname;
    if (!PyArg_ParseTuple(args, "Kss:_rename_column", &tableid, &name, &newname))
        return NULL;
    SESS_CALL(self, "JetRenameColumn", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetRenameColumn(sesid, (JET_TABLEID)tableid, name, newname, 0));
    return ok_or_raise(err, "JetRenameColumn");
}

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

/* True when positioned, False when the move ran off either end. */
static PyObject *s_move(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    int crow;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "Ki|I:_move", &tableid, &crow, &grbit))
        return NULL;
    SESS_CALL(self, "JetMove", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetMove(sesid, (JET_TABLEID)tableid, crow, grbit));
    if (err == JET_errNoCurrentRecord)
        Py_RETURN_FALSE;
    if (check_jet(err, "JetMove") < 0)
        return NULL;
    Py_RETURN_TRUE;
}

static PyObject *s_make_key(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    Py_buffer val = { 0 };
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "Kz*I:_make_key", &tableid, &val, &grbit))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "JetMakeKey", &sesid) < 0) {
        PyBuffer_Release(&val);
        return NULL;
    }
    if (val.buf != NULL && val.len == 0)
        grbit |= JET_bitKeyDataZeroLength;
    JET_ERR err;
    ESEPY_CALL(err = JetMakeKey(sesid, (JET_TABLEID)tableid, val.buf, (uint32_t)val.len, grbit));
    PyBuffer_Release(&val);
    return ok_or_raise(err, "JetMakeKey");
}

/* 0 on an exact hit, JET_wrnSeekNotEqual on an inexact one; raises otherwise. */
static PyObject *s_seek(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "KI:_seek", &tableid, &grbit))
        return NULL;
    SESS_CALL(self, "JetSeek", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetSeek(sesid, (JET_TABLEID)tableid, grbit));
    if (err < 0)
        return raise_jet(err, "JetSeek");
    return PyLong_FromLong(err);
}

static PyObject *s_get_bookmark(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_get_bookmark", &tableid))
        return NULL;
    SESS_CALL(self, "JetGetBookmark", sesid);
    unsigned char bm[JET_cbKeyMost + 16];
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetGetBookmark(sesid, (JET_TABLEID)tableid, bm, sizeof(bm), &cb));
    if (check_jet(err, "JetGetBookmark") < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)bm, cb);
}

static PyObject *s_goto_bookmark(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    Py_buffer bm;
    if (!PyArg_ParseTuple(args, "Ky*:_goto_bookmark", &tableid, &bm))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "JetGotoBookmark", &sesid) < 0) {
        PyBuffer_Release(&bm);
        return NULL;
    }
    JET_ERR err;
    ESEPY_CALL(err = JetGotoBookmark(sesid, (JET_TABLEID)tableid, bm.buf, (uint32_t)bm.len));
    PyBuffer_Release(&bm);
    return ok_or_raise(err, "JetGotoBookmark");
}

static PyObject *split_szz(const char *p);

/* JetCreateIndex2 with one JET_INDEXCREATE: key-most and case sensitivity. */
static PyObject *s_create_index2(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name;
    unsigned int grbit, cbKeyMost;
    int caseSensitive;
    Py_buffer key;
    if (!PyArg_ParseTuple(args, "KsIy*Ip:_create_index2", &tableid, &name, &grbit, &key, &cbKeyMost, &caseSensitive))
        return NULL;
    JET_SESID sesid;
    if (session_handle(self, "JetCreateIndex2", &sesid) < 0) {
        PyBuffer_Release(&key);
        return NULL;
    }
    JET_UNICODEINDEX ui = { 0x409, caseSensitive ? 0u : 1u /* NORM_IGNORECASE */ };
    JET_INDEXCREATE ic;
    memset(&ic, 0, sizeof(ic));
    ic.cbStruct = sizeof(ic);
    ic.szIndexName = (char *)name;
    ic.szKey = key.buf;
    ic.cbKey = (uint32_t)key.len;
    ic.grbit = grbit | JET_bitIndexUnicode | (cbKeyMost ? JET_bitIndexKeyMost : 0);
    ic.ulDensity = 100;
    ic.pidxunicode = &ui;
    ic.cbKeyMost = cbKeyMost;
    JET_ERR err;
    ESEPY_CALL(err = JetCreateIndex2(sesid, (JET_TABLEID)tableid, &ic, 1));
    PyBuffer_Release(&key);
    return ok_or_raise(err, "JetCreateIndex2");
}

static PyObject *s_delete_index(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name;
    if (!PyArg_ParseTuple(args, "Ks:_delete_index", &tableid, &name))
        return NULL;
    SESS_CALL(self, "JetDeleteIndex", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetDeleteIndex(sesid, (JET_TABLEID)tableid, name));
    return ok_or_raise(err, "JetDeleteIndex");
}

static PyObject *s_set_current_index(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    const char *name;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "KzI:_set_current_index", &tableid, &name, &grbit))
        return NULL;
    SESS_CALL(self, "JetSetCurrentIndex2", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetSetCurrentIndex2(sesid, (JET_TABLEID)tableid, name, grbit));
    return ok_or_raise(err, "JetSetCurrentIndex2");
}

/* True when the current record is inside the new range. */
static PyObject *s_set_index_range(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "KI:_set_index_range", &tableid, &grbit))
        return NULL;
    SESS_CALL(self, "JetSetIndexRange", sesid);
    JET_ERR err;
    ESEPY_CALL(err = JetSetIndexRange(sesid, (JET_TABLEID)tableid, grbit));
    if (err == JET_errNoCurrentRecord)
        Py_RETURN_FALSE;
    if (check_jet(err, "JetSetIndexRange") < 0)
        return NULL;
    Py_RETURN_TRUE;
}

static PyObject *s_index_record_count(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int cmax;
    if (!PyArg_ParseTuple(args, "KI:_index_record_count", &tableid, &cmax))
        return NULL;
    SESS_CALL(self, "JetIndexRecordCount", sesid);
    uint32_t n = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetIndexRecordCount(sesid, (JET_TABLEID)tableid, &n, cmax));
    if (check_jet(err, "JetIndexRecordCount") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(n);
}

static PyObject *s_record_position(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_record_position", &tableid))
        return NULL;
    SESS_CALL(self, "JetGetRecordPosition", sesid);
    JET_RECPOS pos = { sizeof(JET_RECPOS), 0, 0, 0 };
    JET_ERR err;
    ESEPY_CALL(err = JetGetRecordPosition(sesid, (JET_TABLEID)tableid, &pos, sizeof(pos)));
    if (check_jet(err, "JetGetRecordPosition") < 0)
        return NULL;
    return Py_BuildValue("(kk)", (unsigned long)pos.centriesLT, (unsigned long)pos.centriesTotal);
}

static PyObject *s_goto_position(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int lt, total;
    if (!PyArg_ParseTuple(args, "KII:_goto_position", &tableid, &lt, &total))
        return NULL;
    SESS_CALL(self, "JetGotoPosition", sesid);
    JET_RECPOS pos = { sizeof(JET_RECPOS), lt, 1, total };
    JET_ERR err;
    ESEPY_CALL(err = JetGotoPosition(sesid, (JET_TABLEID)tableid, &pos));
    if (check_jet(err, "JetGotoPosition") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *s_retrieve_key(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "KI:_retrieve_key", &tableid, &grbit))
        return NULL;
    SESS_CALL(self, "JetRetrieveKey", sesid);
    unsigned char key[2 * JET_cbKeyMost8KBytePage + 16];
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetRetrieveKey(sesid, (JET_TABLEID)tableid, key, sizeof(key), &cb, grbit));
    if (check_jet(err, "JetRetrieveKey") < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)key, cb < sizeof(key) ? cb : sizeof(key));
}

/* [(name, grbit, ["+col", "-col", ...]), ...] */
static PyObject *s_indexes(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_indexes", &tableid))
        return NULL;
    SESS_CALL(self, "EsepyGetIndexes", sesid);
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = EsepyGetIndexes(sesid, (JET_TABLEID)tableid, NULL, 0, &cb));
    if (check_jet(err, "EsepyGetIndexes") < 0)
        return NULL;
    char *buf = PyMem_Malloc(cb ? cb : 1);
    if (buf == NULL)
        return PyErr_NoMemory();
    ESEPY_CALL(err = EsepyGetIndexes(sesid, (JET_TABLEID)tableid, buf, cb, &cb));
    if (check_jet(err, "EsepyGetIndexes") < 0) {
        PyMem_Free(buf);
        return NULL;
    }
    PyObject *list = split_szz(buf);
    PyMem_Free(buf);
    return list;
}

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

/* (column names, primary key definition as [(name, descending)]) */
static PyObject *s_describe_table(SessionObject *self, PyObject *args)
{
    unsigned long long tableid;
    if (!PyArg_ParseTuple(args, "K:_describe_table", &tableid))
        return NULL;
    SESS_CALL(self, "EsepyDescribeTable", sesid);
    uint32_t cbCols = 0, cbKey = 0;
    JET_ERR err;
    ESEPY_CALL(err = EsepyDescribeTable(sesid, (JET_TABLEID)tableid, NULL, 0, &cbCols, NULL, 0, &cbKey));
    if (check_jet(err, "EsepyDescribeTable") < 0)
        return NULL;
    char *cols = PyMem_Malloc(cbCols), *key = PyMem_Malloc(cbKey);
    PyObject *result = NULL;
    if (cols == NULL || key == NULL) {
        PyErr_NoMemory();
    } else {
        ESEPY_CALL(err = EsepyDescribeTable(sesid, (JET_TABLEID)tableid, cols, cbCols, &cbCols, key, cbKey, &cbKey));
        if (check_jet(err, "EsepyDescribeTable") >= 0) {
            PyObject *names = split_szz(cols);
            PyObject *segs = names ? PyList_New(0) : NULL;
            for (const char *p = key; segs && *p; p += strlen(p) + 1) {
                PyObject *t = Py_BuildValue("(sO)", p + 1, *p == '-' ? Py_True : Py_False);
                if (t == NULL || PyList_Append(segs, t) < 0)
                    Py_CLEAR(segs);
                Py_XDECREF(t);
            }
            if (names && segs)
                result = Py_BuildValue("(OO)", names, segs);
            Py_XDECREF(names);
            Py_XDECREF(segs);
        }
    }
    PyMem_Free(cols);
    PyMem_Free(key);
    return result;
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

#define ISAM_METHODS                                                                                       \
    {"_describe_table", (PyCFunction)s_describe_table, METH_VARARGS,                                       \
     "EsepyDescribeTable(tableid) -> ([column names], [(key column, descending)])"},                        \
    {"_create_database", (PyCFunction)s_create_database, METH_VARARGS, "JetCreateDatabase2(path, grbit) -> dbid"}, \
    {"_attach_database", (PyCFunction)s_attach_database, METH_VARARGS, "JetAttachDatabase2(path, grbit)"},  \
    {"_detach_database", (PyCFunction)s_detach_database, METH_VARARGS, "JetDetachDatabase2(path|None, grbit)"}, \
    {"_open_database", (PyCFunction)s_open_database, METH_VARARGS, "JetOpenDatabase(path, grbit) -> dbid"}, \
    {"_close_database", (PyCFunction)s_close_database, METH_VARARGS, "JetCloseDatabase(dbid)"},            \
    {"_db_info", (PyCFunction)s_db_info, METH_VARARGS, "JetGetDatabaseInfo: header fields as a dict"},    \
    {"_begin_transaction", (PyCFunction)s_begin_transaction, METH_VARARGS, "JetBeginTransaction2(grbit)"}, \
    {"_commit", (PyCFunction)s_commit, METH_VARARGS, "JetCommitTransaction(grbit)"},                        \
    {"_rollback", (PyCFunction)s_rollback, METH_VARARGS, "JetRollback(grbit)"},                             \
    {"_create_table", (PyCFunction)s_create_table, METH_VARARGS, "JetCreateTable(dbid, name) -> tableid"}, \
    {"_open_table", (PyCFunction)s_open_table, METH_VARARGS, "JetOpenTable(dbid, name, grbit) -> tableid"}, \
    {"_close_table", (PyCFunction)s_close_table, METH_VARARGS, "JetCloseTable(tableid)"},                   \
    {"_open_temp_table", (PyCFunction)s_open_temp_table, METH_VARARGS,                                     \
     "JetOpenTempTable3(columns, grbit=0, case_sensitive=False) -> (tableid, [columnids])"},               \
    {"_delete_table", (PyCFunction)s_delete_table, METH_VARARGS, "JetDeleteTable(dbid, name)"},             \
    {"_add_column", (PyCFunction)s_add_column, METH_VARARGS,                                               \
     "JetAddColumn(tableid, name, coltyp, cbMax, grbit, cp, default) -> columnid"},                         \
    {"_column_info", (PyCFunction)s_column_info, METH_VARARGS,                                             \
     "JetGetTableColumnInfo(tableid, name) -> (columnid, coltyp, cbMax, grbit, cp)"},                       \
    {"_create_index", (PyCFunction)s_create_index, METH_VARARGS, "JetCreateIndex(tableid, name, grbit, key)"}, \
    {"_table_names", (PyCFunction)s_table_names, METH_VARARGS, "EsepyGetTableNames(dbid) -> [names]"},      \
    {"_prepare_update", (PyCFunction)s_prepare_update, METH_VARARGS, "JetPrepareUpdate(tableid, prep)"},    \
    {"_set_column", (PyCFunction)s_set_column, METH_VARARGS,                                               \
     "JetSetColumn(tableid, columnid, bytes|None, grbit=0, itag=1, ib=0)"},                                       \
    {"_update", (PyCFunction)s_update, METH_VARARGS, "JetUpdate(tableid) -> bookmark"},                     \
    {"_insert", (PyCFunction)s_insert, METH_VARARGS,                                                       \
     "_insert(tableid, ((columnid, bytes|None, grbit, itag), ...)) -> bookmark: a whole JET_prepInsert"},  \
    {"_delete", (PyCFunction)s_delete, METH_VARARGS, "JetDelete(tableid)"},                                 \
    {"_retrieve_column", (PyCFunction)s_retrieve_column, METH_VARARGS,                                     \
     "JetRetrieveColumn(tableid, columnid, grbit=0, itag=1) -> bytes|None"},                                \
    {"_retrieve_columns", (PyCFunction)s_retrieve_columns, METH_VARARGS,                                   \
     "_retrieve_columns(tableid, spec) -> [bytes|None|[bytes]]: (columnid, grbit, multi) per entry"},      \
    {"_dup_cursor", (PyCFunction)s_dup_cursor, METH_VARARGS, "JetDupCursor(tableid) -> tableid"},           \
    {"_get_lock", (PyCFunction)s_get_lock, METH_VARARGS, "JetGetLock(tableid, grbit)"},                     \
    {"_read_value", (PyCFunction)s_read_value, METH_VARARGS,                                               \
     "JetRetrieveColumn(tableid, columnid, ib, cb, grbit=0, itag=1) -> (bytes, bytes to the end) | None"},   \
    {"_escrow_update", (PyCFunction)s_escrow_update, METH_VARARGS,                                         \
     "JetEscrowUpdate(tableid, columnid, delta[, grbit]) -> bytes before"},                                         \
    {"_delete_column", (PyCFunction)s_delete_column, METH_VARARGS, "JetDeleteColumn(tableid, name)"},      \
    {"_rename_column", (PyCFunction)s_rename_column, METH_VARARGS,                                         \
     "JetRenameColumn(tableid, name, new name)"},                                                          \
    {"_rename_table", (PyCFunction)s_rename_table, METH_VARARGS, "JetRenameTable(dbid, name, new name)"},   \
    {"_move", (PyCFunction)s_move, METH_VARARGS, "JetMove(tableid, crow, grbit=0) -> bool"},                \
    {"_make_key", (PyCFunction)s_make_key, METH_VARARGS, "JetMakeKey(tableid, bytes|None, grbit)"},         \
    {"_seek", (PyCFunction)s_seek, METH_VARARGS, "JetSeek(tableid, grbit) -> 0 or JET_wrnSeekNotEqual"},    \
    {"_get_bookmark", (PyCFunction)s_get_bookmark, METH_VARARGS, "JetGetBookmark(tableid) -> bytes"},       \
    {"_goto_bookmark", (PyCFunction)s_goto_bookmark, METH_VARARGS, "JetGotoBookmark(tableid, bookmark)"},                   \
    {"_create_index2", (PyCFunction)s_create_index2, METH_VARARGS,                                         \
     "JetCreateIndex2(tableid, name, grbit, key, cbKeyMost, case_sensitive)"},                              \
    {"_delete_index", (PyCFunction)s_delete_index, METH_VARARGS, "JetDeleteIndex(tableid, name)"},          \
    {"_set_current_index", (PyCFunction)s_set_current_index, METH_VARARGS,                                 \
     "JetSetCurrentIndex2(tableid, name|None, grbit)"},                                                    \
    {"_set_index_range", (PyCFunction)s_set_index_range, METH_VARARGS,                                     \
     "JetSetIndexRange(tableid, grbit) -> in range"},                                                      \
    {"_index_record_count", (PyCFunction)s_index_record_count, METH_VARARGS,                               \
     "JetIndexRecordCount(tableid, max) -> n"},                                                            \
    {"_record_position", (PyCFunction)s_record_position, METH_VARARGS,                                     \
     "JetGetRecordPosition(tableid) -> (entries before, total)"},                                          \
    {"_goto_position", (PyCFunction)s_goto_position, METH_VARARGS,                                         \
     "JetGotoPosition(tableid, entries before, total)"},                                                   \
    {"_retrieve_key", (PyCFunction)s_retrieve_key, METH_VARARGS, "JetRetrieveKey(tableid, grbit) -> bytes"}, \
    {"_indexes", (PyCFunction)s_indexes, METH_VARARGS, "EsepyGetIndexes(tableid) -> [strings]"},
