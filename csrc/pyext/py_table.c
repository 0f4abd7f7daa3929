/*
 * py_table.c -- the Table type: one cursor (JET_TABLEID) of a Session, and
 * the raw engine calls made through it: columns and indexes of its table,
 * record updates (prepare / set column / update / insert / delete / escrow),
 * retrieval (one column, many columns in one call, long values in pieces),
 * navigation (move, make key, seek, index ranges, bookmarks, positions, the
 * current index) and locks.  Included by module.c after py_session.c and
 * py_isam.c.  esepy/_isam.py's Table and TempTable derive from it and add the
 * typed, documented API; values cross as bytes.
 *
 * Owns: a Table's session reference and its handle.  `tableid` is None once
 * closed (Python sets it, as JetCloseTable is a Session call); a call through
 * a closed Table raises esepy.errors.InvalidTableId, through a Table of an
 * ended session esepy.errors.InvalidSesid.
 * Must not touch: engine internals (only esent.h / esepy_ext.h), database
 * and transaction calls (py_isam.c).
 */

typedef struct {
    PyObject_HEAD
    SessionObject *session;  /* strong reference; NULL before __init__ */
    JET_TABLEID    tableid;
    int            fOpen;    /* tableid is valid (Python sees an int, else None) */
    /* The arena of the last multi-column read, kept for the next one (no
     * allocation, no fresh pages to fault in, per read; issue 20).  Only
     * touched with the GIL held: a read takes it out (the fields are NULL
     * meanwhile, so a read on another thread allocates its own) and puts it
     * back when it is done (rc_arena_take / rc_arena_give). */
    char          *rcBuf;
    size_t         rcAlloc;
    void          *rcItems;  /* rc_item[] */
    size_t         rcItemsAlloc;
    /* The parsed form of the last read spec (a tuple, immutable: the same
     * object means the same spec), kept so that a read with the spec of the
     * previous one parses nothing.  Taken out while a read runs, like the
     * arena (rc_specs_take / rc_specs_give). */
    PyObject      *specObj;  /* strong reference, or NULL */
    void          *specs;    /* rc_spec[PyTuple_GET_SIZE(specObj)] (PyMem) */
} TableObject;

/* The session and table handles for an engine call through self, or -1
 * with the exception set. */
static int table_handle(TableObject *self, const char *op, JET_SESID *psesid, JET_TABLEID *ptableid)
{
    if (self->session == NULL) {
        PyErr_SetString(PyExc_ValueError, "the Table is not initialized");
        return -1;
    }
    if (session_handle(self->session, op, psesid) < 0)
        return -1;
    if (!self->fOpen) {
        raise_jet(JET_errInvalidTableId, op);
        return -1;
    }
    *ptableid = self->tableid;
    return 0;
}

#define TABLE_CALL(self, op, sesid, tableid)                        \
    JET_SESID sesid;                                                \
    JET_TABLEID tableid;                                            \
    if (table_handle((self), (op), &sesid, &tableid) < 0)           \
        return NULL

/* Table(session, tableid=None) */
static int table_init(TableObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = { "session", "tableid", NULL };
    PyObject *session, *tid = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|O:Table", kwlist, &SessionType, &session, &tid))
        return -1;
    unsigned long long v = 0;
    if (tid != Py_None) {
        v = PyLong_AsUnsignedLongLong(tid);
        if (v == (unsigned long long)-1 && PyErr_Occurred())
            return -1;
    }
    Py_INCREF(session);
    Py_XSETREF(self->session, (SessionObject *)session);
    self->tableid = (JET_TABLEID)v;
    self->fOpen = tid != Py_None;
    return 0;
}

static int table_traverse(TableObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->session);
    return 0;
}

static int table_clear(TableObject *self)
{
    Py_CLEAR(self->session);
    return 0;
}

static void table_dealloc(TableObject *self)
{
    PyObject_GC_UnTrack(self);
    table_clear(self);
    free(self->rcBuf);
    free(self->rcItems);
    Py_CLEAR(self->specObj);
    PyMem_Free(self->specs);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *table_get_tableid(TableObject *self, void *closure)
{
    (void)closure;
    if (!self->fOpen)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong((unsigned long long)self->tableid);
}

static int table_set_tableid(TableObject *self, PyObject *value, void *closure)
{
    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "tableid cannot be deleted");
        return -1;
    }
    if (value == Py_None) {
        self->fOpen = 0;
        return 0;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(value);
    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    self->tableid = (JET_TABLEID)v;
    self->fOpen = 1;
    return 0;
}

static PyObject *t_add_column(TableObject *self, PyObject *args)
{
    const char *name;
    unsigned int coltyp, cbMax, grbit, cp;
    Py_buffer def = { 0 };
    if (!PyArg_ParseTuple(args, "sIIII|z*:_add_column", &name, &coltyp, &cbMax, &grbit, &cp, &def))
        return NULL;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetAddColumn", &sesid, &tableid) < 0) {
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

static PyObject *t_column_info(TableObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:_column_info", &name))
        return NULL;
    TABLE_CALL(self, "JetGetTableColumnInfo", sesid, tableid);
    JET_COLUMNDEF cd;
    JET_ERR err;
    ESEPY_CALL(err = JetGetTableColumnInfo(sesid, (JET_TABLEID)tableid, name, &cd, sizeof(cd), JET_ColInfo));
    if (check_jet(err, "JetGetTableColumnInfo") < 0)
        return NULL;
    return Py_BuildValue("(IIIII)", cd.columnid, cd.coltyp, cd.cbMax, cd.grbit, (unsigned int)cd.cp);
}

/* A column's value in the current row as a new bytes object (None for
 * NULL); sized by a second call when the value is longer than the stack
 * buffer.  pri may be NULL (the first value). */
static PyObject *column_bytes(JET_SESID sesid, JET_TABLEID t, JET_COLUMNID id, JET_GRBIT grbit, JET_RETINFO *pri)
{
    char buf[512];
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetRetrieveColumn(sesid, t, id, buf, sizeof(buf), &cb, grbit, pri));
    if (err == JET_wrnColumnNull)
        Py_RETURN_NONE;
    if (err == JET_wrnBufferTruncated) {
        PyObject *b = PyBytes_FromStringAndSize(NULL, cb);
        if (b == NULL)
            return NULL;
        uint32_t cb2 = 0;
        char *p = PyBytes_AS_STRING(b);
        ESEPY_CALL(err = JetRetrieveColumn(sesid, t, id, p, cb, &cb2, grbit, pri));
        if (check_jet(err, "JetRetrieveColumn") < 0) {
            Py_DECREF(b);
            return NULL;
        }
        return b;
    }
    if (check_jet(err, "JetRetrieveColumn") < 0)
        return NULL;
    return PyBytes_FromStringAndSize(buf, cb);
}

/* {column name: default value bytes} of the columns that have one (the
 * columnidDefault column of JetGetTableColumnInfo's JET_ColInfoList). */
static PyObject *t_column_defaults(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_column_defaults"))
        return NULL;
    TABLE_CALL(self, "JetGetTableColumnInfo", sesid, tableid);
    JET_COLUMNLIST cl;
    JET_ERR err;
    ESEPY_CALL(err = JetGetTableColumnInfo(sesid, (JET_TABLEID)tableid, NULL, &cl, sizeof(cl), JET_ColInfoList));
    if (check_jet(err, "JetGetTableColumnInfo") < 0)
        return NULL;
    PyObject *out = PyDict_New();
    if (out != NULL) {
        ESEPY_CALL(err = JetMove(sesid, cl.tableid, JET_MoveFirst, 0));
        while (err >= 0 && out != NULL) {
            PyObject *name = column_bytes(sesid, cl.tableid, cl.columnidcolumnname, 0, NULL);
            PyObject *dflt = name ? column_bytes(sesid, cl.tableid, cl.columnidDefault, 0, NULL) : NULL;
            PyObject *key = (name && name != Py_None) ? PyUnicode_DecodeUTF8(PyBytes_AS_STRING(name),
                                                                              PyBytes_GET_SIZE(name), "replace")
                                                      : NULL;
            if (dflt == NULL || key == NULL || (dflt != Py_None && PyDict_SetItem(out, key, dflt) < 0))
                Py_CLEAR(out);
            Py_XDECREF(name);
            Py_XDECREF(dflt);
            Py_XDECREF(key);
            ESEPY_CALL(err = JetMove(sesid, cl.tableid, JET_MoveNext, 0));
        }
    }
    JET_ERR errClose;
    ESEPY_CALL(errClose = JetCloseTable(sesid, cl.tableid));
    if (out != NULL && err != JET_errNoCurrentRecord && check_jet(err, "JetMove") < 0)
        Py_CLEAR(out);
    if (out != NULL && check_jet(errClose, "JetCloseTable") < 0)
        Py_CLEAR(out);
    return out;
}

static PyObject *t_create_index(TableObject *self, PyObject *args)
{
    const char *name;
    unsigned int grbit;
    Py_buffer key;
    if (!PyArg_ParseTuple(args, "sIy*:_create_index", &name, &grbit, &key))
        return NULL;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetCreateIndex", &sesid, &tableid) < 0) {
        PyBuffer_Release(&key);
        return NULL;
    }
    JET_ERR err;
    ESEPY_CALL(err = JetCreateIndex(sesid, (JET_TABLEID)tableid, name, grbit, key.buf, (uint32_t)key.len, 0));
    PyBuffer_Release(&key);
    return ok_or_raise(err, "JetCreateIndex");
}

static PyObject *t_prepare_update(TableObject *self, PyObject *args)
{
    unsigned int prep;
    if (!PyArg_ParseTuple(args, "I:_prepare_update", &prep))
        return NULL;
    TABLE_CALL(self, "JetPrepareUpdate", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetPrepareUpdate(sesid, (JET_TABLEID)tableid, prep));
    return ok_or_raise(err, "JetPrepareUpdate");
}

static PyObject *t_set_column(TableObject *self, PyObject *args)
{
    unsigned int columnid, grbit = 0, itag = 1, ib = 0;
    Py_buffer val = { 0 };
    if (!PyArg_ParseTuple(args, "Iz*|III:_set_column", &columnid, &val, &grbit, &itag, &ib))
        return NULL;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetSetColumn", &sesid, &tableid) < 0) {
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

static PyObject *t_update(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_update"))
        return NULL;
    TABLE_CALL(self, "JetUpdate", sesid, tableid);
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
static PyObject *t_insert(TableObject *self, PyObject *args)
{
    PyObject *items;
    if (!PyArg_ParseTuple(args, "O!:_insert", &PyTuple_Type, &items))
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
    JET_TABLEID tableid;
    if (table_handle(self, "JetUpdate", &sesid, &tableid) < 0) {
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

/* Many inserts in one engine visit (Table.insert_many): columnids -- a
 * tuple of n column ids -- and rows -- a sequence of n-tuples of bytes or
 * None, one value per column (None: not set) -- are inserted in order, each
 * by JetPrepareUpdate(JET_prepInsert) + JetSetColumns + JetUpdate (None sets
 * NULL, as Table.insert does), with the
 * GIL released once for the batch.  The rows are copied into a tuple this
 * call owns first, so another thread changing the caller's list cannot free
 * a value while the engine reads it (tuples and bytes are immutable).  On an
 * error the failing row's update is cancelled and the error raised with the
 * rows before it inserted (Table.insert_many runs the batches in a
 * transaction level of their own and rolls it back).  Returns the count. */
static PyObject *t_insert_many(TableObject *self, PyObject *args)
{
    PyObject *cids, *rowsIn;
    if (!PyArg_ParseTuple(args, "O!O:_insert_many", &PyTuple_Type, &cids, &rowsIn))
        return NULL;
    Py_ssize_t ncol = PyTuple_GET_SIZE(cids);
    PyObject *rows = PySequence_Tuple(rowsIn);
    if (rows == NULL)
        return NULL;
    Py_ssize_t nrow = PyTuple_GET_SIZE(rows);
    JET_SETCOLUMN *sc = NULL;
    uint32_t *counts = NULL;
    JET_COLUMNID *ids = PyMem_Calloc(ncol ? (size_t)ncol : 1, sizeof(*ids));
    if (ids == NULL)
        goto nomem;
    for (Py_ssize_t j = 0; j < ncol; j++) {
        unsigned long v = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(cids, j));
        if (v == (unsigned long)-1 && PyErr_Occurred())
            goto fail;
        ids[j] = (JET_COLUMNID)v;
    }
    if (nrow > 0 && (size_t)ncol > PY_SSIZE_T_MAX / sizeof(*sc) / (size_t)nrow) {
        PyErr_SetString(PyExc_OverflowError, "_insert_many: batch too large");
        goto fail;
    }
    sc = PyMem_Calloc(nrow && ncol ? (size_t)nrow * (size_t)ncol : 1, sizeof(*sc));
    counts = PyMem_Calloc(nrow ? (size_t)nrow : 1, sizeof(*counts));
    if (sc == NULL || counts == NULL)
        goto nomem;
    JET_SETCOLUMN *p = sc;
    for (Py_ssize_t i = 0; i < nrow; i++) {
        PyObject *row = PyTuple_GET_ITEM(rows, i);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != ncol) {
            PyErr_Format(PyExc_TypeError, "_insert_many: row %zd is not a tuple of %zd values", i, ncol);
            goto fail;
        }
        JET_SETCOLUMN *row0 = p;
        for (Py_ssize_t j = 0; j < ncol; j++) {
            PyObject *value = PyTuple_GET_ITEM(row, j);
            p->columnid = ids[j];
            p->itagSequence = 1;
            if (value == Py_None) {   /* NULL, set explicitly (as Table.insert does) */
                p++;
                continue;
            }
            if (!PyBytes_Check(value)) {
                PyErr_Format(PyExc_TypeError, "_insert_many: row %zd: a value must be bytes or None", i);
                goto fail;
            }
            p->pvData = PyBytes_AS_STRING(value);
            p->cbData = (uint32_t)PyBytes_GET_SIZE(value);
            p->grbit = p->cbData == 0 ? JET_bitSetZeroLength : 0;
            p++;
        }
        counts[i] = (uint32_t)(p - row0);
    }
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetUpdate", &sesid, &tableid) < 0)
        goto fail;
    JET_ERR err = JET_errSuccess;
    const char *op = "JetPrepareUpdate";
    Py_ssize_t done = 0;
    Py_BEGIN_ALLOW_THREADS
    p = sc;
    for (; done < nrow; done++) {
        op = "JetPrepareUpdate";
        err = JetPrepareUpdate(sesid, (JET_TABLEID)tableid, JET_prepInsert);
        if (err < 0)
            break;
        op = "JetSetColumns";
        if (counts[done] > 0)
            err = JetSetColumns(sesid, (JET_TABLEID)tableid, p, counts[done]);
        if (err >= 0) {
            op = "JetUpdate";
            err = JetUpdate(sesid, (JET_TABLEID)tableid, NULL, 0, NULL);
        }
        if (err < 0) {
            (void)JetPrepareUpdate(sesid, (JET_TABLEID)tableid, JET_prepCancel);
            break;
        }
        p += counts[done];
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(sc);
    PyMem_Free(counts);
    PyMem_Free(ids);
    Py_DECREF(rows);
    if (check_jet(err, op) < 0) {
        /* name the failing row: the exception's `row` attribute */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *idx = PyLong_FromSsize_t(done);
        if (idx == NULL || value == NULL || PyObject_SetAttrString(value, "row", idx) < 0)
            PyErr_Clear();
        Py_XDECREF(idx);
        PyErr_Restore(type, value, tb);
        return NULL;
    }
    return PyLong_FromSsize_t(done);
nomem:
    PyErr_NoMemory();
fail:
    PyMem_Free(sc);
    PyMem_Free(counts);
    PyMem_Free(ids);
    Py_DECREF(rows);
    return NULL;
}

static PyObject *t_delete(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_delete"))
        return NULL;
    TABLE_CALL(self, "JetDelete", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetDelete(sesid, (JET_TABLEID)tableid));
    return ok_or_raise(err, "JetDelete");
}

/* bytes of the column, or None when NULL.  Sizes itself: retries with the
 * full length when the first buffer was short. */
static PyObject *t_retrieve_column(TableObject *self, PyObject *args)
{
    unsigned int columnid, grbit = 0, itag = 1;
    if (!PyArg_ParseTuple(args, "I|II:_retrieve_column", &columnid, &grbit, &itag))
        return NULL;
    TABLE_CALL(self, "JetRetrieveColumn", sesid, tableid);
    JET_RETINFO ri = { sizeof(ri), 0, itag, 0 };
    return column_bytes(sesid, (JET_TABLEID)tableid, columnid, grbit, &ri);
}

typedef struct rc_item {
    uint32_t ispec;
    uint32_t irow;   /* _read_rows: the row it belongs to */
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
    uint32_t    irow;     /* the row being read (items are tagged with it) */
} rc_run;

#define RC_KEEP_MAX (4u << 20) /* a larger arena is freed after the read, not kept */

/* A new rc_run through self's kept arena (with the GIL). */
static rc_run rc_arena_take(TableObject *self, JET_SESID sesid, JET_TABLEID tableid, const rc_spec *specs,
                            Py_ssize_t n)
{
    rc_run r = { sesid, tableid, specs, n, NULL, 0, 0, NULL, 0, 0, 0, 0, 0 };
    r.buf = self->rcBuf;
    r.cbAlloc = self->rcAlloc;
    r.items = self->rcItems;
    r.citemAlloc = self->rcItemsAlloc;
    self->rcBuf = NULL;
    self->rcItems = NULL;
    self->rcAlloc = self->rcItemsAlloc = 0;
    return r;
}

/* Keep r's arena in self for the next read, or free it (with the GIL). */
static void rc_arena_give(TableObject *self, rc_run *r)
{
    if (self->rcBuf == NULL && self->rcItems == NULL && r->cbAlloc <= RC_KEEP_MAX &&
        r->citemAlloc * sizeof(rc_item) <= RC_KEEP_MAX) {
        self->rcBuf = r->buf;
        self->rcAlloc = r->cbAlloc;
        self->rcItems = r->items;
        self->rcItemsAlloc = r->citemAlloc;
    } else {
        free(r->buf);
        free(r->items);
    }
    r->buf = NULL;
    r->items = NULL;
}

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
#define RC_SMALL 16 /* columns whose JET_RETRIEVECOLUMNs rc_retrieve keeps on the stack */

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
        r->items[r->citem++] = (rc_item){ (uint32_t)i, r->irow, 0, r->cbUsed, cb };
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
    /* Few columns (every row of a scan, every point read): the descriptors
     * live on the stack, no allocation per row. */
    JET_RETRIEVECOLUMN rcSmall[RC_SMALL];
    JET_RETRIEVECOLUMN *prc = n <= RC_SMALL ? memset(rcSmall, 0, (size_t)n * sizeof(*prc)) : calloc((size_t)n, sizeof(*prc));
    if (prc == NULL || rc_reserve(r, (size_t)n * RC_SLOT + 1) < 0) {
        if (prc != rcSmall)
            free(prc);
        r->oom = 1;
        return;
    }
    size_t base = r->cbUsed; /* this row's slots start here (rows follow each other in the arena) */
    r->cbUsed = base + (size_t)n * RC_SLOT; /* the slots; values found there are referenced in place */
    for (Py_ssize_t i = 0; i < n; i++) {
        prc[i].columnid = r->specs[i].columnid;
        prc[i].pvData = r->buf + base + (size_t)i * RC_SLOT;
        prc[i].cbData = RC_SLOT;
        prc[i].grbit = r->specs[i].grbit;
        prc[i].itagSequence = 1;
    }
    JET_ERR err = JetRetrieveColumns(r->sesid, r->tableid, prc, (uint32_t)n);
    if (err < 0) {
        r->err = err;
        if (prc != rcSmall)
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
                r->items[r->citem++] = (rc_item){ (uint32_t)i, r->irow, 1, 0, 0 };
            continue;
        }
        if (prc[i].err == JET_wrnBufferTruncated) {
            if (rc_one(r, i, 1) < 0)
                break;
        } else {
            r->items[r->citem++] = (rc_item){ (uint32_t)i, r->irow, 0, base + (size_t)i * RC_SLOT, prc[i].cbActual };
        }
        if (ps->multi) {
            int got = 1;
            for (uint32_t itag = 2; got > 0; itag++)
                got = rc_one(r, i, itag);
            if (got < 0)
                break;
        }
    }
    if (prc != rcSmall)
        free(prc);
}

/* The values r read as a new list of crow rows, each a list of n values (a
 * multi-valued column: the list of its values in order; NULL: None); NULL with
 * an exception set.  Items of rows past crow are ignored. */
static PyObject *rc_rows(const rc_run *r, const rc_spec *specs, Py_ssize_t n, uint32_t crow)
{
    PyObject *rows = PyList_New(crow);
    for (uint32_t j = 0; rows && j < crow; j++) {
        PyObject *row = PyList_New(n);
        if (row == NULL) {
            Py_CLEAR(rows);
            break;
        }
        PyList_SET_ITEM(rows, j, row);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = specs[i].multi ? PyList_New(0) : (Py_INCREF(Py_None), Py_None);
            if (v == NULL) {
                Py_CLEAR(rows);
                break;
            }
            PyList_SET_ITEM(row, i, v);
        }
    }
    for (size_t k = 0; rows && k < r->citem; k++) {
        const rc_item *it = &r->items[k];
        if (it->null || it->irow >= crow)
            continue;
        PyObject *row = PyList_GET_ITEM(rows, it->irow);
        PyObject *b = PyBytes_FromStringAndSize(r->buf + it->off, it->cb);
        if (b == NULL) {
            Py_CLEAR(rows);
            break;
        }
        if (specs[it->ispec].multi) {
            int rc = PyList_Append(PyList_GET_ITEM(row, it->ispec), b);
            Py_DECREF(b);
            if (rc < 0)
                Py_CLEAR(rows);
        } else {
            PyList_SetItem(row, it->ispec, b); /* steals b, drops the None */
        }
    }
    return rows;
}

/* rc_rows of a one-row read: the row's list of values. */
static PyObject *rc_row(const rc_run *r, const rc_spec *specs, Py_ssize_t n)
{
    PyObject *rows = rc_rows(r, specs, n, 1);
    if (rows == NULL)
        return NULL;
    PyObject *row = PyList_GET_ITEM(rows, 0);
    Py_INCREF(row);
    Py_DECREF(rows);
    return row;
}

/* specs[i] from the (columnid, grbit, multi) tuples of spec; -1 with an
 * exception set.  fmt names the method in errors. */
static int rc_parse_specs(PyObject *spec, rc_spec *specs, const char *fmt)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(spec); i++) {
        unsigned int columnid, grbit;
        int multi;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(spec, i), fmt, &columnid, &grbit, &multi))
            return -1;
        specs[i] = (rc_spec){ columnid, grbit, multi };
    }
    return 0;
}

/* The parsed spec for a read (with the GIL): self's kept one when `spec` is
 * the tuple it was parsed from, else a new parse; NULL with an exception
 * set.  Hand it back with rc_specs_give. */
static rc_spec *rc_specs_take(TableObject *self, PyObject *spec, const char *fmt)
{
    if (self->specObj == spec && self->specs != NULL) {
        rc_spec *specs = self->specs;
        self->specs = NULL;
        Py_CLEAR(self->specObj);
        return specs;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    rc_spec *specs = PyMem_Calloc(n ? (size_t)n : 1, sizeof(rc_spec));
    if (specs == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (rc_parse_specs(spec, specs, fmt) < 0) {
        PyMem_Free(specs);
        return NULL;
    }
    return specs;
}

/* Keep specs (parsed from `spec`) in self for the next read (with the GIL). */
static void rc_specs_give(TableObject *self, PyObject *spec, rc_spec *specs)
{
    if (specs == NULL)
        return;
    PyObject *oldObj = self->specObj;
    void *oldSpecs = self->specs;
    Py_INCREF(spec);
    self->specObj = spec;
    self->specs = specs;
    Py_XDECREF(oldObj);
    PyMem_Free(oldSpecs);
}

/* rc_rows as dicts of names[i] -> value (fTuple 0) or as tuples of the
 * values in spec order (fTuple 1), built directly (no list per row): for
 * reads without multi-valued columns, where every row has one item per spec
 * entry in spec order (rc_retrieve adds NULLs as items).  Py_None (a
 * borrowed marker, not a result) when the read does not qualify: the caller
 * converts rc_rows' lists instead. */
static PyObject *rc_direct(const rc_run *r, const rc_spec *specs, Py_ssize_t n, uint32_t crow, PyObject *names,
                           int fTuple)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (specs[i].multi)
            return Py_None;
    if (r->citem < (size_t)crow * (size_t)n)
        return Py_None;
    /* the layout assumed, checked once before anything is built */
    for (size_t k = 0; k < (size_t)crow * (size_t)n; k++)
        if (r->items[k].irow != k / (size_t)n || r->items[k].ispec != (uint32_t)(k % (size_t)n))
            return Py_None;
    PyObject *rows = PyList_New(crow);
    size_t k = 0;
    for (uint32_t j = 0; rows && j < crow; j++) {
        PyObject *row = fTuple ? PyTuple_New(n) : PyDict_New();
        if (row == NULL) {
            Py_CLEAR(rows);
            break;
        }
        PyList_SET_ITEM(rows, j, row);
        for (Py_ssize_t i = 0; i < n; i++, k++) {
            const rc_item *it = &r->items[k];
            PyObject *v = it->null ? (Py_INCREF(Py_None), Py_None)
                                   : PyBytes_FromStringAndSize(r->buf + it->off, it->cb);
            if (v == NULL) {
                Py_CLEAR(rows);
                break;
            }
            if (fTuple) {
                PyTuple_SET_ITEM(row, i, v); /* steals v */
                if (i == n - 1)
                    PyObject_GC_UnTrack(row); /* bytes and None only: no cycle through it */
                continue;
            }
            int rc = PyDict_SetItem(row, PyTuple_GET_ITEM(names, i), v);
            Py_DECREF(v);
            if (rc < 0) {
                Py_CLEAR(rows);
                break;
            }
        }
    }
    return rows;
}

/* The rows of a read: dicts of names -> value when names is a tuple, else
 * lists in spec order (tuples with fTuple); NULL with an exception set. */
static PyObject *rc_rows_named(const rc_run *r, const rc_spec *specs, Py_ssize_t n, uint32_t crow, PyObject *names,
                               int fTuple)
{
    if (names != Py_None || fTuple) {
        PyObject *rows = rc_direct(r, specs, n, crow, names, names == Py_None);
        if (rows != Py_None)
            return rows;
    }
    PyObject *rows = rc_rows(r, specs, n, crow);
    /* Rows as lists first, then, without names and with fTuple, each list
     * becomes a tuple. */
    for (uint32_t j = 0; rows && names == Py_None && fTuple && j < crow; j++) {
        PyObject *t = PyList_AsTuple(PyList_GET_ITEM(rows, j));
        if (t == NULL) {
            Py_CLEAR(rows);
            break;
        }
        PyList_SetItem(rows, j, t); /* drops the list */
    }
    /* Rows as lists first, then, with names, each list becomes a dict. */
    for (uint32_t j = 0; rows && names != Py_None && j < crow; j++) {
        PyObject *row = PyList_GET_ITEM(rows, j);
        PyObject *d = PyDict_New();
        for (Py_ssize_t i = 0; d && i < n; i++)
            if (PyDict_SetItem(d, PyTuple_GET_ITEM(names, i), PyList_GET_ITEM(row, i)) < 0)
                Py_CLEAR(d);
        if (d == NULL) {
            Py_CLEAR(rows);
            break;
        }
        PyList_SetItem(rows, j, d); /* drops the list */
    }
    return rows;
}

static PyObject *t_retrieve_columns(TableObject *self, PyObject *args)
{
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "O!:_retrieve_columns", &PyTuple_Type, &spec))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    rc_spec *specs = PyMem_Calloc(n ? (size_t)n : 1, sizeof(rc_spec));
    if (specs == NULL)
        return PyErr_NoMemory();
    if (rc_parse_specs(spec, specs, "IIp:_retrieve_columns spec") < 0) {
        PyMem_Free(specs);
        return NULL;
    }
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetRetrieveColumn", &sesid, &tableid) < 0) {
        PyMem_Free(specs);
        return NULL;
    }
    rc_run r = rc_arena_take(self, sesid, (JET_TABLEID)tableid, specs, n);
    ESEPY_CALL(rc_retrieve(&r));
    PyObject *out = NULL;
    if (r.oom) {
        PyErr_NoMemory();
    } else if (check_jet(r.err, "JetRetrieveColumn") >= 0) {
        out = rc_row(&r, specs, n);
    }
    rc_arena_give(self, &r);
    PyMem_Free(specs);
    return out;
}

/* Runs without the GIL: up to crow rows, each a JetMove (the first by
 * `first`, JET_MoveFirst or 1; 0: stay on the current record) and
 * rc_retrieve.  *pcrow: rows read; *pfEnd: the index ended (JetMove found no
 * record). */
static void rr_read(rc_run *r, uint32_t crow, int32_t first, uint32_t *pcrow, int *pfEnd)
{
    *pcrow = 0;
    *pfEnd = 0;
    for (uint32_t i = 0; i < crow; i++) {
        int32_t c = i == 0 ? first : 1;
        if (c != 0) {
            JET_ERR err = JetMove(r->sesid, r->tableid, c, 0);
            if (err == JET_errNoCurrentRecord) {
                *pfEnd = 1;
                return;
            }
            if (err < 0) {
                r->err = err;
                return;
            }
        }
        r->irow = i;
        rc_retrieve(r);
        if (r->err < 0 || r->oom)
            return;
        *pcrow = i + 1;
    }
}

/* Runs without the GIL: rr_read through EsepyReadRows, for specs without a
 * multi-valued column: the rows' values are packed into the arena by the
 * engine, a batch per call, and described by items of the layout rc_retrieve
 * makes (one per spec entry per row, in order; NULLs included), so rc_direct
 * builds the rows.  A record the engine leaves pending (a value larger than
 * the room left, a user-defined default) is read by rc_retrieve, and the
 * batch goes on after it. */
enum { RB_ROOM = 32768 }; /* bytes of arena offered per call at least */

static void rb_read(rc_run *r, uint32_t crow, int32_t first, uint32_t *pcrow, int *pfEnd)
{
    *pcrow = 0;
    *pfEnd = 0;
    Py_ssize_t n = r->cspec;
    ESEPY_READCOLUMN colSmall[RC_SMALL];
    ESEPY_READCOLUMN *cols = n <= RC_SMALL ? colSmall : malloc((size_t)n * sizeof(*cols));
    ESEPY_ROWVALUE *vals = n ? malloc((size_t)crow * (size_t)n * sizeof(*vals)) : NULL;
    if (cols == NULL || (n && vals == NULL)) {
        r->oom = 1;
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        cols[i] = (ESEPY_READCOLUMN){ r->specs[i].columnid, r->specs[i].grbit };
    uint32_t done = 0;
    int32_t move = first;
    while (done < crow) {
        /* room for every item the remaining rows make, and some bytes */
        size_t citemNeed = (size_t)(crow - done) * (size_t)n;
        if (r->citem + citemNeed > r->citemAlloc) {
            size_t m = r->citemAlloc ? r->citemAlloc : 16;
            while (m < r->citem + citemNeed)
                m *= 2;
            rc_item *p = realloc(r->items, m * sizeof(*p));
            if (p == NULL) {
                r->oom = 1;
                break;
            }
            r->items = p;
            r->citemAlloc = m;
        }
        size_t cbRoom = r->cbAlloc - r->cbUsed;
        if (cbRoom < RB_ROOM) {
            size_t m = r->cbAlloc ? r->cbAlloc : RB_ROOM;
            while (m - r->cbUsed < RB_ROOM)
                m *= 2;
            char *p = realloc(r->buf, m);
            if (p == NULL) {
                r->oom = 1;
                break;
            }
            r->buf = p;
            r->cbAlloc = m;
            cbRoom = m - r->cbUsed;
        }
        if (cbRoom > UINT32_MAX)
            cbRoom = UINT32_MAX;
        uint32_t got = 0, cbUsed = 0;
        JET_GRBIT out = 0;
        JET_ERR err = EsepyReadRows(r->sesid, r->tableid, move, crow - done, cols, (uint32_t)n, r->buf + r->cbUsed,
                                    (uint32_t)cbRoom, vals, &got, &cbUsed, &out);
        if (err < 0) {
            r->err = err;
            break;
        }
        for (uint32_t j = 0; j < got; j++)
            for (Py_ssize_t i = 0; i < n; i++) {
                const ESEPY_ROWVALUE *v = &vals[(size_t)j * (size_t)n + (size_t)i];
                r->items[r->citem++] = (rc_item){ (uint32_t)i, done + j, v->err == JET_wrnColumnNull,
                                                  r->cbUsed + v->ib, v->cb };
            }
        r->cbUsed += cbUsed;
        done += got;
        *pcrow = done;
        if (out & ESEPY_bitReadRowsEnd) {
            *pfEnd = 1;
            break;
        }
        if (!(out & ESEPY_bitReadRowsPending))
            break; /* crow rows read */
        r->irow = done; /* the cursor is on this row, unread */
        rc_retrieve(r);
        if (r->err < 0 || r->oom)
            break;
        *pcrow = ++done;
        move = JET_MoveNext;
    }
done:
    if (cols != colSmall)
        free(cols);
    free(vals);
}

/* Runs without the GIL: the make-key calls of a seek (one key column value
 * each, NULL for a null value). */
typedef struct gr_key {
    const void *pv;
    uint32_t    cb;
    JET_GRBIT   grbit;
} gr_key;

static JET_ERR gr_make_key(rc_run *r, const gr_key *keys, Py_ssize_t ckey)
{
    for (Py_ssize_t i = 0; i < ckey; i++) {
        JET_ERR err = JetMakeKey(r->sesid, r->tableid, keys[i].pv, keys[i].cb, keys[i].grbit);
        if (err < 0)
            return err;
    }
    return JET_errSuccess;
}

enum { GR_KEYS = 16 };

/* The key values of `keys` (a tuple of bytes-like or None; the first gets
 * JET_bitNewKey) as gk[], their buffers held in views[] (*pcview of them,
 * released by the caller).  -1 with the exception set. */
static int gr_keys(PyObject *keys, gr_key *gk, Py_buffer *views, Py_ssize_t *pcview)
{
    Py_ssize_t ckey = PyTuple_GET_SIZE(keys);
    if (ckey > GR_KEYS) {
        PyErr_SetString(PyExc_ValueError, "too many key columns");
        return -1;
    }
    for (Py_ssize_t i = 0; i < ckey; i++) {
        PyObject *k = PyTuple_GET_ITEM(keys, i);
        JET_GRBIT grbit = i == 0 ? JET_bitNewKey : 0;
        if (k == Py_None) {
            gk[i] = (gr_key){ NULL, 0, grbit };
            continue;
        }
        if (PyObject_GetBuffer(k, &views[*pcview], PyBUF_SIMPLE) < 0)
            return -1;
        Py_buffer *v = &views[(*pcview)++];
        gk[i] = (gr_key){ v->buf, (uint32_t)v->len, grbit | (v->len == 0 ? JET_bitKeyDataZeroLength : 0) };
    }
    return 0;
}

/* Runs without the GIL: with keys, JetMakeKey + JetSeek(SeekGE) first (no
 * record at or after the key: *pfEnd, no rows), then rr_read. */
static void rr_seek_read(rc_run *r, const gr_key *keys, Py_ssize_t ckey, uint32_t crow, int32_t first,
                         uint32_t *pcrow, int *pfEnd)
{
    if (ckey > 0) {
        *pcrow = 0;
        *pfEnd = 0;
        JET_ERR err = gr_make_key(r, keys, ckey);
        if (err >= 0)
            err = JetSeek(r->sesid, r->tableid, JET_bitSeekGE);
        if (err == JET_errRecordNotFound) {
            *pfEnd = 1;
            return;
        }
        if (err < 0) {
            r->err = err;
            return;
        }
        first = 0; /* on the first record */
    }
    int fMulti = 0;
    for (Py_ssize_t i = 0; i < r->cspec; i++)
        fMulti |= r->specs[i].multi;
    if (fMulti)
        rr_read(r, crow, first, pcrow, pfEnd);
    else
        rb_read(r, crow, first, pcrow, pfEnd);
}

/* _read_rows(spec, crow, first, keys=None, names=None, tuples=False) -> (rows, ended): up to
 * crow records read in one call, each a list of bytes / None (lists for
 * multi-valued columns) in spec order, moving forward as JetMove does (the
 * first move: `first`).  With `keys` (a tuple as _get_row takes), the cursor
 * first seeks to the first entry at or after them (JetMakeKey + JetSeek
 * SeekGE) and the first row is the one found.  With `names` (a tuple of str,
 * one per spec entry), each row is a dict of name -> value instead; without
 * names and with `tuples` true, a tuple in spec order.  The cursor is left on
 * the last record read (after the end when `ended`). */
/* The rows of one _read_rows call (see below); NULL with an exception set.
 * *pfEnd: the index ended. */
static PyObject *read_rows_core(TableObject *self, PyObject *spec, unsigned int crow, int first, PyObject *keys,
                                PyObject *names, int fTuple, int *pfEnd)
{
    *pfEnd = 0;
    if (!PyTuple_Check(spec) || (keys != Py_None && !PyTuple_Check(keys)) ||
        (names != Py_None && !PyTuple_Check(names))) {
        PyErr_SetString(PyExc_TypeError, "_read_rows: spec is a tuple, keys and names tuples or None");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    if (names != Py_None && PyTuple_GET_SIZE(names) != n) {
        PyErr_SetString(PyExc_ValueError, "_read_rows: one name per spec entry");
        return NULL;
    }
    gr_key gk[GR_KEYS];
    Py_buffer views[GR_KEYS];
    Py_ssize_t cview = 0, ckey = keys == Py_None ? 0 : PyTuple_GET_SIZE(keys);
    PyObject *rows = NULL;
    rc_spec *specs = rc_specs_take(self, spec, "IIp:_read_rows spec");
    if (specs == NULL)
        return NULL;
    if (ckey > 0 && gr_keys(keys, gk, views, &cview) < 0)
        goto done;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetMove", &sesid, &tableid) < 0)
        goto done;
    rc_run r = rc_arena_take(self, sesid, (JET_TABLEID)tableid, specs, n);
    uint32_t got = 0;
    int fEnd = 0;
    ESEPY_CALL(rr_seek_read(&r, gk, ckey, crow, (int32_t)first, &got, &fEnd));
    if (r.oom) {
        PyErr_NoMemory();
    } else if (check_jet(r.err, "JetMove") >= 0) {
        rows = rc_rows_named(&r, specs, n, got, names, fTuple);
        *pfEnd = fEnd;
    }
    rc_arena_give(self, &r);
done:
    for (Py_ssize_t i = 0; i < cview; i++)
        PyBuffer_Release(&views[i]);
    rc_specs_give(self, spec, specs);
    return rows;
}

static PyObject *t_read_rows(TableObject *self, PyObject *args)
{
    PyObject *spec, *keys = Py_None, *names = Py_None;
    unsigned int crow;
    int first, fTuple = 0, fEnd = 0;
    if (!PyArg_ParseTuple(args, "O!Ii|OOp:_read_rows", &PyTuple_Type, &spec, &crow, &first, &keys, &names, &fTuple))
        return NULL;
    PyObject *rows = read_rows_core(self, spec, crow, first, keys, names, fTuple, &fEnd);
    if (rows == NULL)
        return NULL;
    return Py_BuildValue("(NO)", rows, fEnd ? Py_True : Py_False);
}

/* Runs without the GIL: the make-key calls of a point read, a
 * JetSeek(SeekEQ), and, on a hit, rc_retrieve.  *pfFound: the seek found a
 * record. */
static void gr_read(rc_run *r, const gr_key *keys, Py_ssize_t ckey, int *pfFound)
{
    *pfFound = 0;
    JET_ERR err = gr_make_key(r, keys, ckey);
    if (err >= 0)
        err = JetSeek(r->sesid, r->tableid, JET_bitSeekEQ);
    if (err == JET_errRecordNotFound)
        return;
    if (err < 0) {
        r->err = err;
        return;
    }
    *pfFound = 1;
    rc_retrieve(r);
}

/* _get_row(keys, spec, names=None) -> list | dict | None: Table.get in one
 * call into C (issue 20): JetMakeKey for each value of `keys` (bytes-like or
 * None, the first with JET_bitNewKey), JetSeek(JET_bitSeekEQ) and, when a
 * record matched, JetRetrieveColumns of `spec` as _retrieve_columns returns
 * them (with `names`, a tuple of one name per spec entry: a dict of name ->
 * value); None when no record has the key.  The engine sees exactly the calls the three
 * separate methods make (same visibility, same cursor position after), with
 * the GIL released once. */
static PyObject *t_get_row(TableObject *self, PyObject *args)
{
    PyObject *keys, *spec, *names = Py_None;
    if (!PyArg_ParseTuple(args, "O!O!|O:_get_row", &PyTuple_Type, &keys, &PyTuple_Type, &spec, &names))
        return NULL;
    Py_ssize_t ckey = PyTuple_GET_SIZE(keys);
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    if (names != Py_None && (!PyTuple_Check(names) || PyTuple_GET_SIZE(names) != n)) {
        PyErr_SetString(PyExc_ValueError, "_get_row: names is None or a tuple of one name per spec entry");
        return NULL;
    }
    gr_key gk[GR_KEYS];
    Py_buffer views[GR_KEYS];
    Py_ssize_t cview = 0;
    PyObject *out = NULL;
    rc_spec *specs = rc_specs_take(self, spec, "IIp:_get_row spec");
    if (specs == NULL)
        return NULL;
    if (gr_keys(keys, gk, views, &cview) < 0)
        goto done;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetSeek", &sesid, &tableid) < 0)
        goto done;
    rc_run r = rc_arena_take(self, sesid, (JET_TABLEID)tableid, specs, n);
    int fFound = 0;
    ESEPY_CALL(gr_read(&r, gk, ckey, &fFound));
    if (r.oom) {
        PyErr_NoMemory();
    } else if (r.err < 0) {
        raise_jet(r.err, "JetSeek");
    } else if (!fFound) {
        Py_INCREF(Py_None);
        out = Py_None;
    } else if (names != Py_None) {
        PyObject *rows = rc_rows_named(&r, specs, n, 1, names, 0);
        if (rows != NULL) {
            out = PyList_GET_ITEM(rows, 0);
            Py_INCREF(out);
            Py_DECREF(rows);
        }
    } else {
        out = rc_row(&r, specs, n);
    }
    rc_arena_give(self, &r);
done:
    for (Py_ssize_t i = 0; i < cview; i++)
        PyBuffer_Release(&views[i]);
    rc_specs_give(self, spec, specs);
    return out;
}

/* _scan_keep(cur) -> bool: Table.scan's cursor `cur` may be kept for the next
 * scan (Table._scan_give_back): this cursor and `cur` (a Table) are open and
 * the session has not ended.  The checks of `self.tableid is not None and
 * cur.tableid is not None and not self.session.closed`, without making their
 * objects (a range read pays this once per scan; issue 20). */
static PyTypeObject TableType;

static PyObject *t_scan_keep(TableObject *self, PyObject *cur)
{
    if (!PyObject_TypeCheck(cur, &TableType)) {
        PyErr_SetString(PyExc_TypeError, "_scan_keep: cur is a Table");
        return NULL;
    }
    int fKeep = self->fOpen && ((TableObject *)cur)->fOpen && self->session != NULL &&
                self->session->sesid != JET_sesidNil;
    return PyBool_FromLong(fKeep);
}

/* JetGetLock(tableid, grbit): JET_bitReadLock or JET_bitWriteLock on the current record. */
static PyObject *t_get_lock(TableObject *self, PyObject *args)
{
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "I:_get_lock", &grbit))
        return NULL;
    TABLE_CALL(self, "JetGetLock", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetGetLock(sesid, (JET_TABLEID)tableid, grbit));
    return ok_or_raise(err, "JetGetLock");
}

/* JetDupCursor: a new cursor on the same table's primary index, in ESENT's deferred move to first. */
static PyObject *t_dup_cursor(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_dup_cursor"))
        return NULL;
    TABLE_CALL(self, "JetDupCursor", sesid, tableid);
    JET_TABLEID t = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetDupCursor(sesid, (JET_TABLEID)tableid, &t, 0));
    if (check_jet(err, "JetDupCursor") < 0)
        return NULL;
    return PyLong_FromUnsignedLongLong((unsigned long long)t);
}

/* A piece of a long value: (bytes from ib, at most cb; bytes from ib to the
 * end), or None when NULL. */
static PyObject *t_read_value(TableObject *self, PyObject *args)
{
    unsigned int columnid, ib, cbMax, grbit = 0, itag = 1;
    if (!PyArg_ParseTuple(args, "III|II:_read_value", &columnid, &ib, &cbMax, &grbit, &itag))
        return NULL;
    TABLE_CALL(self, "JetRetrieveColumn", sesid, tableid);
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
static PyObject *t_escrow_update(TableObject *self, PyObject *args)
{
    unsigned int columnid;
    unsigned int grbit = 0;
    Py_buffer delta;
    if (!PyArg_ParseTuple(args, "Iy*|I:_escrow_update", &columnid, &delta, &grbit))
        return NULL;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetEscrowUpdate", &sesid, &tableid) < 0) {
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

static PyObject *t_delete_column(TableObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:_delete_column", &name))
        return NULL;
    TABLE_CALL(self, "JetDeleteColumn", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetDeleteColumn(sesid, (JET_TABLEID)tableid, name));
    return ok_or_raise(err, "JetDeleteColumn");
}

static PyObject *t_rename_column(TableObject *self, PyObject *args)
{
    const char *name, *newname;
    if (!PyArg_ParseTuple(args, "ss:_rename_column", &name, &newname))
        return NULL;
    TABLE_CALL(self, "JetRenameColumn", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetRenameColumn(sesid, (JET_TABLEID)tableid, name, newname, 0));
    return ok_or_raise(err, "JetRenameColumn");
}

/* True when positioned, False when the move ran off either end. */
static PyObject *t_move(TableObject *self, PyObject *args)
{
    int crow;
    unsigned int grbit = 0;
    if (!PyArg_ParseTuple(args, "i|I:_move", &crow, &grbit))
        return NULL;
    TABLE_CALL(self, "JetMove", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetMove(sesid, (JET_TABLEID)tableid, crow, grbit));
    if (err == JET_errNoCurrentRecord)
        Py_RETURN_FALSE;
    if (check_jet(err, "JetMove") < 0)
        return NULL;
    Py_RETURN_TRUE;
}

static PyObject *t_make_key(TableObject *self, PyObject *args)
{
    Py_buffer val = { 0 };
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "z*I:_make_key", &val, &grbit))
        return NULL;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetMakeKey", &sesid, &tableid) < 0) {
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
static PyObject *t_seek(TableObject *self, PyObject *args)
{
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "I:_seek", &grbit))
        return NULL;
    TABLE_CALL(self, "JetSeek", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetSeek(sesid, (JET_TABLEID)tableid, grbit));
    if (err < 0)
        return raise_jet(err, "JetSeek");
    return PyLong_FromLong(err);
}

static PyObject *t_get_bookmark(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_get_bookmark"))
        return NULL;
    TABLE_CALL(self, "JetGetBookmark", sesid, tableid);
    unsigned char bm[JET_cbKeyMost + 16];
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetGetBookmark(sesid, (JET_TABLEID)tableid, bm, sizeof(bm), &cb));
    if (check_jet(err, "JetGetBookmark") < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)bm, cb);
}

static PyObject *t_goto_bookmark(TableObject *self, PyObject *args)
{
    Py_buffer bm;
    if (!PyArg_ParseTuple(args, "y*:_goto_bookmark", &bm))
        return NULL;
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetGotoBookmark", &sesid, &tableid) < 0) {
        PyBuffer_Release(&bm);
        return NULL;
    }
    JET_ERR err;
    ESEPY_CALL(err = JetGotoBookmark(sesid, (JET_TABLEID)tableid, bm.buf, (uint32_t)bm.len));
    PyBuffer_Release(&bm);
    return ok_or_raise(err, "JetGotoBookmark");
}

/* JetCreateIndex2 with one JET_INDEXCREATE: key-most and case sensitivity. */
static PyObject *t_create_index2(TableObject *self, PyObject *args)
{
    const char *name;
    unsigned int grbit, cbKeyMost;
    int caseSensitive;
    Py_buffer key;
    PyObject *conds = NULL; /* [(column name, JET_bitIndexColumnMustBe*)] */
    if (!PyArg_ParseTuple(args, "sIy*Ip|O:_create_index2", &name, &grbit, &key, &cbKeyMost, &caseSensitive, &conds))
        return NULL;
    JET_CONDITIONALCOLUMN rgcond[JET_ccolKeyMost + 1];
    Py_ssize_t ccond = 0;
    if (conds && conds != Py_None) {
        ccond = PySequence_Check(conds) ? PySequence_Size(conds) : -1;
        if (ccond < 0 || ccond > JET_ccolKeyMost + 1) {
            PyBuffer_Release(&key);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "too many conditional columns");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < ccond; i++) {
            PyObject *item = PySequence_GetItem(conds, i);
            const char *col = NULL;
            unsigned int g = 0;
            int ok = item && PyArg_ParseTuple(item, "sI", &col, &g);
            /* col points into the tuple's str, which conds keeps alive */
            Py_XDECREF(item);
            if (!ok) {
                PyBuffer_Release(&key);
                return NULL;
            }
            rgcond[i].cbStruct = sizeof(rgcond[i]);
            rgcond[i].szColumnName = (char *)col;
            rgcond[i].grbit = g;
        }
    }
    JET_SESID sesid;
    JET_TABLEID tableid;
    if (table_handle(self, "JetCreateIndex2", &sesid, &tableid) < 0) {
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
    ic.rgconditionalcolumn = ccond ? rgcond : NULL;
    ic.cConditionalColumn = (uint32_t)ccond;
    JET_ERR err;
    ESEPY_CALL(err = JetCreateIndex2(sesid, (JET_TABLEID)tableid, &ic, 1));
    PyBuffer_Release(&key);
    return ok_or_raise(err, "JetCreateIndex2");
}

static PyObject *t_delete_index(TableObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:_delete_index", &name))
        return NULL;
    TABLE_CALL(self, "JetDeleteIndex", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetDeleteIndex(sesid, (JET_TABLEID)tableid, name));
    return ok_or_raise(err, "JetDeleteIndex");
}

static PyObject *t_set_current_index(TableObject *self, PyObject *args)
{
    const char *name;
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "zI:_set_current_index", &name, &grbit))
        return NULL;
    TABLE_CALL(self, "JetSetCurrentIndex2", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetSetCurrentIndex2(sesid, (JET_TABLEID)tableid, name, grbit));
    return ok_or_raise(err, "JetSetCurrentIndex2");
}

/* True when the current record is inside the new range. */
static PyObject *t_set_index_range(TableObject *self, PyObject *args)
{
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "I:_set_index_range", &grbit))
        return NULL;
    TABLE_CALL(self, "JetSetIndexRange", sesid, tableid);
    JET_ERR err;
    ESEPY_CALL(err = JetSetIndexRange(sesid, (JET_TABLEID)tableid, grbit));
    if (err == JET_errNoCurrentRecord)
        Py_RETURN_FALSE;
    if (check_jet(err, "JetSetIndexRange") < 0)
        return NULL;
    Py_RETURN_TRUE;
}

static PyObject *t_index_record_count(TableObject *self, PyObject *args)
{
    unsigned int cmax;
    if (!PyArg_ParseTuple(args, "I:_index_record_count", &cmax))
        return NULL;
    TABLE_CALL(self, "JetIndexRecordCount", sesid, tableid);
    uint32_t n = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetIndexRecordCount(sesid, (JET_TABLEID)tableid, &n, cmax));
    if (check_jet(err, "JetIndexRecordCount") < 0)
        return NULL;
    return PyLong_FromUnsignedLong(n);
}

static PyObject *t_record_position(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_record_position"))
        return NULL;
    TABLE_CALL(self, "JetGetRecordPosition", sesid, tableid);
    JET_RECPOS pos = { sizeof(JET_RECPOS), 0, 0, 0 };
    JET_ERR err;
    ESEPY_CALL(err = JetGetRecordPosition(sesid, (JET_TABLEID)tableid, &pos, sizeof(pos)));
    if (check_jet(err, "JetGetRecordPosition") < 0)
        return NULL;
    return Py_BuildValue("(kk)", (unsigned long)pos.centriesLT, (unsigned long)pos.centriesTotal);
}

static PyObject *t_goto_position(TableObject *self, PyObject *args)
{
    unsigned int lt, total;
    if (!PyArg_ParseTuple(args, "II:_goto_position", &lt, &total))
        return NULL;
    TABLE_CALL(self, "JetGotoPosition", sesid, tableid);
    JET_RECPOS pos = { sizeof(JET_RECPOS), lt, 1, total };
    JET_ERR err;
    ESEPY_CALL(err = JetGotoPosition(sesid, (JET_TABLEID)tableid, &pos));
    if (check_jet(err, "JetGotoPosition") < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *t_retrieve_key(TableObject *self, PyObject *args)
{
    unsigned int grbit;
    if (!PyArg_ParseTuple(args, "I:_retrieve_key", &grbit))
        return NULL;
    TABLE_CALL(self, "JetRetrieveKey", sesid, tableid);
    unsigned char key[2 * JET_cbKeyMost8KBytePage + 16];
    uint32_t cb = 0;
    JET_ERR err;
    ESEPY_CALL(err = JetRetrieveKey(sesid, (JET_TABLEID)tableid, key, sizeof(key), &cb, grbit));
    if (check_jet(err, "JetRetrieveKey") < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)key, cb < sizeof(key) ? cb : sizeof(key));
}

/* [(name, grbit, ["+col", "-col", ...]), ...] */
static PyObject *t_indexes(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_indexes"))
        return NULL;
    TABLE_CALL(self, "EsepyGetIndexes", sesid, tableid);
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

/* (column names, primary key definition as [(name, descending)]) */
static PyObject *t_describe_table(TableObject *self, PyObject *args)
{
    if (!PyArg_ParseTuple(args, ":_describe_table"))
        return NULL;
    TABLE_CALL(self, "EsepyDescribeTable", sesid, tableid);
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

static PyMethodDef table_methods[] = {
    {"_describe_table", (PyCFunction)t_describe_table, METH_VARARGS,
     "EsepyDescribeTable() -> ([column names], [(key column, descending)])"},
    {"_add_column", (PyCFunction)t_add_column, METH_VARARGS,
     "JetAddColumn(name, coltyp, cbMax, grbit, cp, default) -> columnid"},
    {"_column_info", (PyCFunction)t_column_info, METH_VARARGS,
     "JetGetTableColumnInfo(name) -> (columnid, coltyp, cbMax, grbit, cp)"},
    {"_column_defaults", (PyCFunction)t_column_defaults, METH_VARARGS,
     "JetGetTableColumnInfo(JET_ColInfoList) -> {column name: default bytes} (columns with a default)"},
    {"_create_index", (PyCFunction)t_create_index, METH_VARARGS, "JetCreateIndex(name, grbit, key)"},
    {"_prepare_update", (PyCFunction)t_prepare_update, METH_VARARGS, "JetPrepareUpdate(prep)"},
    {"_set_column", (PyCFunction)t_set_column, METH_VARARGS,
     "JetSetColumn(columnid, bytes|None, grbit=0, itag=1, ib=0)"},
    {"_update", (PyCFunction)t_update, METH_VARARGS, "JetUpdate() -> bookmark"},
    {"_insert", (PyCFunction)t_insert, METH_VARARGS,
     "_insert(((columnid, bytes|None, grbit, itag), ...)) -> bookmark: a whole JET_prepInsert"},
    {"_insert_many", (PyCFunction)t_insert_many, METH_VARARGS,
     "_insert_many(columnids, rows) -> count: many inserts in one engine visit"},
    {"_delete", (PyCFunction)t_delete, METH_VARARGS, "JetDelete()"},
    {"_retrieve_column", (PyCFunction)t_retrieve_column, METH_VARARGS,
     "JetRetrieveColumn(columnid, grbit=0, itag=1) -> bytes|None"},
    {"_retrieve_columns", (PyCFunction)t_retrieve_columns, METH_VARARGS,
     "_retrieve_columns(spec) -> [bytes|None|[bytes]]: (columnid, grbit, multi) per entry"},
    {"_read_rows", (PyCFunction)t_read_rows, METH_VARARGS,
     "_read_rows(spec, crow, first, keys=None, names=None, tuples=False) -> (rows, ended): [JetMakeKey + "
     "JetSeek(GE)] JetMove + JetRetrieveColumns for up to crow rows (dicts with names, else tuples or lists)"},
    {"_scan_keep", (PyCFunction)t_scan_keep, METH_O,
     "_scan_keep(cur) -> bool: this cursor and cur are open and the session has not ended"},
    {"_get_row", (PyCFunction)t_get_row, METH_VARARGS,
     "_get_row(keys, spec, names=None) -> list | dict | None: JetMakeKey per key value + JetSeek(EQ) + JetRetrieveColumns"},
    {"_dup_cursor", (PyCFunction)t_dup_cursor, METH_VARARGS, "JetDupCursor() -> tableid"},
    {"_get_lock", (PyCFunction)t_get_lock, METH_VARARGS, "JetGetLock(grbit)"},
    {"_read_value", (PyCFunction)t_read_value, METH_VARARGS,
     "JetRetrieveColumn(columnid, ib, cb, grbit=0, itag=1) -> (bytes, bytes to the end) | None"},
    {"_escrow_update", (PyCFunction)t_escrow_update, METH_VARARGS,
     "JetEscrowUpdate(columnid, delta[, grbit]) -> bytes before"},
    {"_delete_column", (PyCFunction)t_delete_column, METH_VARARGS, "JetDeleteColumn(name)"},
    {"_rename_column", (PyCFunction)t_rename_column, METH_VARARGS, "JetRenameColumn(name, new name)"},
    {"_move", (PyCFunction)t_move, METH_VARARGS, "JetMove(crow, grbit=0) -> bool"},
    {"_make_key", (PyCFunction)t_make_key, METH_VARARGS, "JetMakeKey(bytes|None, grbit)"},
    {"_seek", (PyCFunction)t_seek, METH_VARARGS, "JetSeek(grbit) -> 0 or JET_wrnSeekNotEqual"},
    {"_get_bookmark", (PyCFunction)t_get_bookmark, METH_VARARGS, "JetGetBookmark() -> bytes"},
    {"_goto_bookmark", (PyCFunction)t_goto_bookmark, METH_VARARGS, "JetGotoBookmark(bookmark)"},
    {"_create_index2", (PyCFunction)t_create_index2, METH_VARARGS,
     "JetCreateIndex2(name, grbit, key, cbKeyMost, case_sensitive)"},
    {"_delete_index", (PyCFunction)t_delete_index, METH_VARARGS, "JetDeleteIndex(name)"},
    {"_set_current_index", (PyCFunction)t_set_current_index, METH_VARARGS,
     "JetSetCurrentIndex2(name|None, grbit)"},
    {"_set_index_range", (PyCFunction)t_set_index_range, METH_VARARGS, "JetSetIndexRange(grbit) -> in range"},
    {"_index_record_count", (PyCFunction)t_index_record_count, METH_VARARGS, "JetIndexRecordCount(max) -> n"},
    {"_record_position", (PyCFunction)t_record_position, METH_VARARGS,
     "JetGetRecordPosition() -> (entries before, total)"},
    {"_goto_position", (PyCFunction)t_goto_position, METH_VARARGS, "JetGotoPosition(entries before, total)"},
    {"_retrieve_key", (PyCFunction)t_retrieve_key, METH_VARARGS, "JetRetrieveKey(grbit) -> bytes"},
    {"_indexes", (PyCFunction)t_indexes, METH_VARARGS, "EsepyGetIndexes() -> [strings]"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef table_getset[] = {
    {"tableid", (getter)table_get_tableid, (setter)table_set_tableid,
     "The JET_TABLEID of this cursor, or None once closed.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject TableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.Table",
    .tp_basicsize = sizeof(TableObject),
    .tp_dealloc = (destructor)table_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A cursor on a table of a Session: Table(session, tableid).",
    .tp_traverse = (traverseproc)table_traverse,
    .tp_clear = (inquiry)table_clear,
    .tp_methods = table_methods,
    .tp_getset = table_getset,
    .tp_init = (initproc)table_init,
    .tp_new = PyType_GenericNew,
};

/* BatchRows(open, done, batch=0, args=()): the rows of Table.scan, read in
 * batches and handed out here in C, so no Python frame runs per row and none
 * per batch (issue 20).  On the first next(), open(*args) returns (cursor, spec, keys,
 * names, tuples, convert): the scan's own cursor (a Table) and the
 * arguments of its _read_rows calls (read_rows_core); convert is None or a
 * callable that turns each batch's list into the rows handed out (typed
 * columns decoded).  The first call seeks to keys (or moves first: keys
 * None), the next ones move on; `batch` rows per call, or (0) 16 then up to
 * 256.  done(cursor) is called exactly once when the rows end, a read fails,
 * close() is called, or the iterator is finalized -- whichever comes first
 * (the scan hands its cursor back); not at all when open() failed (it then
 * cleans up itself).
 * Invariants: batch is NULL or a list owned here (nobody else resizes it),
 * i <= its length; fState goes NEW -> OPEN -> DONE only; in OPEN, cur and
 * done are set; in DONE every reference but batch's is dropped; while
 * fRunning (a read, or convert, under way: another thread may run meanwhile)
 * next() and close() raise ValueError and change nothing. */
enum { BR_NEW, BR_OPEN, BR_DONE };

typedef struct {
    PyObject_HEAD
    int        fState;
    PyObject  *open, *done;             /* callables (open: until OPEN) */
    PyObject  *args;                    /* open's arguments, a tuple (until OPEN) */
    PyObject  *cur;                     /* the scan's Table (OPEN) */
    PyObject  *spec, *keys, *names, *convert;
    int        fTuple, fEnded, first;
    int        fRunning;                /* a read is under way (the GIL released in it) */
    unsigned   n, nFixed;
    PyObject  *batch;                   /* the list being handed out, or NULL */
    Py_ssize_t i;                       /* next item of batch */
} BatchRowsObject;

static PyObject *batchrows_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = { "open", "done", "batch", "args", NULL };
    PyObject *open, *done, *oargs = NULL;
    unsigned int batch = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|IO!:BatchRows", kwlist, &open, &done, &batch, &PyTuple_Type,
                                     &oargs))
        return NULL;
    if (!PyCallable_Check(open) || !PyCallable_Check(done)) {
        PyErr_SetString(PyExc_TypeError, "BatchRows: open and done are callables");
        return NULL;
    }
    BatchRowsObject *self = (BatchRowsObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    Py_INCREF(open);
    Py_INCREF(done);
    Py_XINCREF(oargs);
    self->open = open;
    self->done = done;
    self->args = oargs;
    self->fState = BR_NEW;
    self->nFixed = batch;
    self->n = batch ? batch : 16;
    self->first = JET_MoveFirst;
    return (PyObject *)self;
}

/* Drop everything but the batch; call done(cur) once if the scan was open.
 * Any exception set on entry is kept (done's own failure then goes to
 * sys.unraisablehook); without one, done's failure is the result (-1). */
static int batchrows_finish(BatchRowsObject *self)
{
    PyObject *done = self->done, *cur = self->cur;
    int fOpen = self->fState == BR_OPEN;
    self->fState = BR_DONE;
    self->done = self->cur = NULL;
    Py_CLEAR(self->open);
    Py_CLEAR(self->args);
    Py_CLEAR(self->spec);
    Py_CLEAR(self->keys);
    Py_CLEAR(self->names);
    Py_CLEAR(self->convert);
    int rc = 0;
    if (fOpen && done != NULL && cur != NULL) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        PyObject *r = PyObject_CallOneArg(done, cur);
        if (r == NULL) {
            if (et != NULL)
                PyErr_WriteUnraisable(done);
            else
                rc = -1;
        }
        Py_XDECREF(r);
        if (et != NULL)
            PyErr_Restore(et, ev, tb);
    }
    Py_XDECREF(done);
    Py_XDECREF(cur);
    return rc;
}

/* NEW -> OPEN through open(); -1 with an exception set (state DONE). */
static int batchrows_open(BatchRowsObject *self)
{
    PyObject *r = self->args != NULL ? PyObject_Call(self->open, self->args, NULL) : PyObject_CallNoArgs(self->open);
    Py_CLEAR(self->open);
    Py_CLEAR(self->args);
    if (r == NULL) {
        batchrows_finish(self); /* not OPEN: done is not called */
        return -1;
    }
    PyObject *cur, *spec, *keys, *names, *convert;
    int fTuple;
    if (!PyTuple_Check(r) || !PyArg_ParseTuple(r, "O!OOOpO:BatchRows open()", &TableType, &cur, &spec, &keys, &names,
                                               &fTuple, &convert)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "BatchRows: open() returns a tuple");
        /* the cursor may be in r: hand it back if it is a Table */
        if (PyTuple_Check(r) && PyTuple_GET_SIZE(r) > 0 && PyObject_TypeCheck(PyTuple_GET_ITEM(r, 0), &TableType)) {
            self->cur = PyTuple_GET_ITEM(r, 0);
            Py_INCREF(self->cur);
            self->fState = BR_OPEN;
        }
        Py_DECREF(r);
        batchrows_finish(self);
        return -1;
    }
    self->cur = cur;
    self->spec = spec;
    self->keys = keys;
    self->names = names;
    self->convert = convert == Py_None ? NULL : convert;
    Py_INCREF(cur);
    Py_INCREF(spec);
    Py_INCREF(keys);
    Py_INCREF(names);
    Py_XINCREF(self->convert);
    self->fTuple = fTuple;
    self->fState = BR_OPEN;
    Py_DECREF(r);
    return 0;
}

static PyObject *batchrows_next(BatchRowsObject *self)
{
    if (self->fRunning) {
        /* another thread's next() is reading (as a generator: ValueError) */
        PyErr_SetString(PyExc_ValueError, "BatchRows already executing");
        return NULL;
    }
    for (;;) {
        if (self->batch != NULL) {
            if (self->i < PyList_GET_SIZE(self->batch)) {
                PyObject *row = PyList_GET_ITEM(self->batch, self->i++);
                Py_INCREF(row);
                return row;
            }
            Py_CLEAR(self->batch);
        }
        if (self->fState == BR_DONE)
            return NULL;
        if (self->fState == BR_NEW) {
            self->fRunning = 1;
            int rc = batchrows_open(self);
            self->fRunning = 0;
            if (rc < 0)
                return NULL;
        }
        if (self->fEnded) {
            batchrows_finish(self);
            return NULL;
        }
        int fEnd = 0;
        self->fRunning = 1;
        PyObject *rows = read_rows_core((TableObject *)self->cur, self->spec, self->n, self->first, self->keys,
                                        self->names, self->fTuple, &fEnd);
        if (rows != NULL && self->convert != NULL && PyList_GET_SIZE(rows) > 0)
            Py_SETREF(rows, PyObject_CallOneArg(self->convert, rows));
        self->fRunning = 0;
        if (rows != NULL && !PyList_CheckExact(rows)) {
            Py_CLEAR(rows);
            PyErr_SetString(PyExc_TypeError, "BatchRows: convert() returns a list");
        }
        if (rows == NULL) {
            batchrows_finish(self);
            return NULL;
        }
        self->first = JET_MoveNext;
        if (self->keys != Py_None) {
            Py_INCREF(Py_None);
            Py_SETREF(self->keys, Py_None);
        }
        if (!self->nFixed && self->n < 256)
            self->n = self->n * 4 < 256 ? self->n * 4 : 256;
        self->fEnded = fEnd || PyList_GET_SIZE(rows) == 0;
        self->batch = rows;
        self->i = 0;
        if (self->fEnded && PyList_GET_SIZE(rows) == 0) {
            Py_CLEAR(self->batch);
            if (batchrows_finish(self) < 0)
                return NULL;
            return NULL;
        }
    }
}

static PyObject *batchrows_close(BatchRowsObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->fRunning) {
        PyErr_SetString(PyExc_ValueError, "BatchRows already executing");
        return NULL;
    }
    Py_CLEAR(self->batch);
    if (batchrows_finish(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static void batchrows_finalize(BatchRowsObject *self)
{
    if (self->fState == BR_OPEN) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        if (batchrows_finish(self) < 0)
            PyErr_WriteUnraisable((PyObject *)self);
        PyErr_Restore(et, ev, tb);
    }
}

static int batchrows_traverse(BatchRowsObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->open);
    Py_VISIT(self->args);
    Py_VISIT(self->done);
    Py_VISIT(self->cur);
    Py_VISIT(self->spec);
    Py_VISIT(self->keys);
    Py_VISIT(self->names);
    Py_VISIT(self->convert);
    Py_VISIT(self->batch);
    return 0;
}

static int batchrows_clear(BatchRowsObject *self)
{
    Py_CLEAR(self->open);
    Py_CLEAR(self->args);
    Py_CLEAR(self->done);
    Py_CLEAR(self->cur);
    Py_CLEAR(self->spec);
    Py_CLEAR(self->keys);
    Py_CLEAR(self->names);
    Py_CLEAR(self->convert);
    Py_CLEAR(self->batch);
    self->fState = BR_DONE;
    return 0;
}

static void batchrows_dealloc(BatchRowsObject *self)
{
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0)
        return; /* resurrected */
    PyObject_GC_UnTrack(self);
    batchrows_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef batchrows_methods[] = {
    {"close", (PyCFunction)batchrows_close, METH_NOARGS,
     "Stop: no more rows; the scan hands its cursor back."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject BatchRowsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.BatchRows",
    .tp_basicsize = sizeof(BatchRowsObject),
    .tp_dealloc = (destructor)batchrows_dealloc,
    .tp_finalize = (destructor)batchrows_finalize,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "BatchRows(open, done, batch=0, args=()): the iterator of Table.scan's rows, read in batches.",
    .tp_traverse = (traverseproc)batchrows_traverse,
    .tp_clear = (inquiry)batchrows_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)batchrows_next,
    .tp_methods = batchrows_methods,
    .tp_new = batchrows_new,
};

/* Add the Table and BatchRows types to module m. */
static int table_register(PyObject *m)
{
    if (PyType_Ready(&TableType) < 0 || PyType_Ready(&BatchRowsType) < 0)
        return -1;
    Py_INCREF(&TableType);
    if (PyModule_AddObject(m, "Table", (PyObject *)&TableType) < 0) {
        Py_DECREF(&TableType);
        return -1;
    }
    Py_INCREF(&BatchRowsType);
    if (PyModule_AddObject(m, "BatchRows", (PyObject *)&BatchRowsType) < 0) {
        Py_DECREF(&BatchRowsType);
        return -1;
    }
    return 0;
}
