/*
 * py_ese_file.c -- the EseFile type of the forensic reader: opening and
 * closing an ESE database written by Windows, its header, its tables and
 * columns (from the catalog), page dumps and the damage found, and new
 * EseCursor objects.  Included by py_ese.c (after the shared structs and
 * dict helpers there).
 *
 * Owns: an EseFile's lifetime (pfile, its lock, the count of live cursors:
 * close() with live cursors only marks it closing; the last cursor closes it).
 * Must not touch: value conversion (py_ese_values.c), cursor iteration
 * (py_ese_cursor.c), engine internals.
 */

static PyObject *esefile_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    EseFileObject *self = (EseFileObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static int esefile_init(EseFileObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"path", "skip_checksums", NULL};
    PyObject *path = NULL;
    int skip = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|p:EseFile", kwlist, PyUnicode_FSConverter, &path, &skip))
        return -1;
    if (self->pfile != NULL) {
        Py_DECREF(path);
        PyErr_SetString(PyExc_RuntimeError, "EseFile.__init__ called twice");
        return -1;
    }
    ESEPY_ESE_FILE *pfile = NULL;
    JET_ERR err;
    const char *sz = PyBytes_AS_STRING(path);
    ESEPY_CALL(err = EsepyEseOpen(sz, skip ? ESEPY_ESE_OPEN_SKIP_CHECKSUMS : 0, &pfile));
    if (err < 0) {
        Py_DECREF(path);
        raise_jet(err, "EsepyEseOpen");
        return -1;
    }
    self->pfile = pfile;
    self->path = path;
    return 0;
}

static PyObject *esefile_close(EseFileObject *self, PyObject *unused)
{
    (void)unused;
    if (self->ccursor > 0) {
        /* cursors still alive (e.g. an unfinished iterator): the file closes
         * when the last of them does; meanwhile it refuses new work */
        self->fClosing = 1;
        Py_RETURN_NONE;
    }
    ese_lock(self);
    EsepyEseClose(self->pfile);
    self->pfile = NULL;
    ese_unlock(self);
    Py_RETURN_NONE;
}

static void esefile_dealloc(EseFileObject *self)
{
    /* cursors hold a reference, so none is alive here */
    EsepyEseClose(self->pfile);
    if (self->lock)
        PyThread_free_lock(self->lock);
    Py_XDECREF(self->path);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *esefile_header(EseFileObject *self, PyObject *unused)
{
    (void)unused;
    if (ese_check_open(self) < 0)
        return NULL;
    ESEPY_ESE_HEADER h;
    ese_lock(self);
    JET_ERR err = EsepyEseGetHeader(self->pfile, &h);
    ese_unlock(self);
    if (err < 0)
        return raise_jet(err, "EsepyEseGetHeader");
    return ese_header_dict(&h);
}

static PyObject *ese_column_dict(const ESEPY_ESE_COLUMNINFO *c)
{
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int r = 0;
    r |= ese_dset(d, "name", PyUnicode_DecodeLatin1(c->szName, (Py_ssize_t)strlen(c->szName), NULL));
    r |= ese_dset(d, "columnid", U(c->columnid));
    r |= ese_dset(d, "coltyp", U(c->coltyp));
    r |= ese_dset(d, "cb_max", U(c->cbMax));
    r |= ese_dset(d, "codepage", U(c->cp));
    r |= ese_dset(d, "flags", U(c->grbit));
    r |= ese_dset(d, "record_offset", U(c->ibRecordOffset));
    if (c->pbDefault)
        r |= ese_dset(d, "default", PyBytes_FromStringAndSize((const char *)c->pbDefault, c->cbDefault));
    else
        r |= ese_dset(d, "default", Py_NewRef(Py_None));
    if (r) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *esefile_tables_locked(EseFileObject *self)
{
    uint32_t ctable = 0;
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseGetTableCount(self->pfile, &ctable));
    if (err < 0)
        return raise_jet(err, "EsepyEseGetTableCount");
    PyObject *l = PyList_New(0);
    if (l == NULL)
        return NULL;
    for (uint32_t it = 0; it < ctable; it++) {
        ESEPY_ESE_TABLEINFO ti;
        err = EsepyEseGetTableInfo(self->pfile, it, &ti);
        if (err < 0) {
            Py_DECREF(l);
            return raise_jet(err, "EsepyEseGetTableInfo");
        }
        PyObject *d = PyDict_New(), *cols = PyList_New(0), *idxs = PyList_New(0);
        int r = (d && cols && idxs) ? 0 : -1;
        for (uint32_t ic = 0; r == 0 && ic < ti.ccolumn; ic++) {
            ESEPY_ESE_COLUMNINFO ci;
            err = EsepyEseGetColumnInfo(self->pfile, it, ic, &ci);
            PyObject *cd = err < 0 ? raise_jet(err, "EsepyEseGetColumnInfo") : ese_column_dict(&ci);
            r = cd == NULL || PyList_Append(cols, cd) < 0 ? -1 : 0;
            Py_XDECREF(cd);
        }
        for (uint32_t ii = 0; r == 0 && ii < ti.cindex; ii++) {
            ESEPY_ESE_INDEXINFO xi;
            err = EsepyEseGetIndexInfo(self->pfile, it, ii, &xi);
            if (err < 0) {
                raise_jet(err, "EsepyEseGetIndexInfo");
                r = -1;
                break;
            }
            PyObject *keycols = PyList_New(0);
            for (uint32_t k = 0; keycols && k < xi.ccolumn; k++) {
                PyObject *t = Py_BuildValue("(kOO)", (unsigned long)xi.rgcolumnid[k],
                                            xi.rgfDescending[k] ? Py_True : Py_False,
                                            xi.rgfTemplate[k] ? Py_True : Py_False);
                if (t == NULL || PyList_Append(keycols, t) < 0)
                    Py_CLEAR(keycols);
                Py_XDECREF(t);
            }
            PyObject *xd = PyDict_New();
            if (xd == NULL || keycols == NULL ||
                ese_dset(xd, "name", PyUnicode_DecodeLatin1(xi.szName, (Py_ssize_t)strlen(xi.szName), NULL)) < 0 ||
                ese_dset(xd, "objid", U(xi.objid)) < 0 || ese_dset(xd, "pgno_fdp", U(xi.pgnoFDP)) < 0 ||
                ese_dset(xd, "flags", U(xi.grbit)) < 0 || ese_dset(xd, "lcid", U(xi.lcid)) < 0 ||
                ese_dset(xd, "key_most", U(xi.cbKeyMost)) < 0 ||
                ese_dset(xd, "key_columns", Py_NewRef(keycols)) < 0 || PyList_Append(idxs, xd) < 0)
                r = -1;
            Py_XDECREF(keycols);
            Py_XDECREF(xd);
        }
        if (r == 0) {
            r |= ese_dset(d, "name", PyUnicode_DecodeLatin1(ti.szName, (Py_ssize_t)strlen(ti.szName), NULL));
            r |= ese_dset(d, "template_table", PyUnicode_DecodeLatin1(ti.szTemplateTable,
                                                                  (Py_ssize_t)strlen(ti.szTemplateTable), NULL));
            r |= ese_dset(d, "objid", U(ti.objidTable));
            r |= ese_dset(d, "pgno_fdp", U(ti.pgnoFDP));
            r |= ese_dset(d, "objid_lv", U(ti.objidLV));
            r |= ese_dset(d, "pgno_fdp_lv", U(ti.pgnoFDPLV));
            r |= ese_dset(d, "flags", U(ti.grbit));
            r |= ese_dset(d, "initial_pages", U(ti.cpgInitial));
            r |= ese_dset(d, "columns", Py_NewRef(cols));
            r |= ese_dset(d, "indexes", Py_NewRef(idxs));
        }
        if (r == 0)
            r = PyList_Append(l, d);
        Py_XDECREF(d);
        Py_XDECREF(cols);
        Py_XDECREF(idxs);
        if (r) {
            Py_DECREF(l);
            return NULL;
        }
    }
    return l;
}

static PyObject *esefile_tables(EseFileObject *self, PyObject *unused)
{
    (void)unused;
    if (ese_check_open(self) < 0)
        return NULL;
    ese_lock(self);
    PyObject *r = esefile_tables_locked(self);
    ese_unlock(self);
    return r;
}

static PyObject *esefile_page_info(EseFileObject *self, PyObject *arg)
{
    unsigned long pgno = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred() || ese_check_open(self) < 0)
        return NULL;
    ESEPY_ESE_PAGEINFO pi;
    JET_ERR err;
    ese_lock(self);
    ESEPY_CALL(err = EsepyEseGetPageInfo(self->pfile, (uint32_t)pgno, &pi));
    ese_unlock(self);
    if (err < 0)
        return raise_jet(err, "EsepyEseGetPageInfo");
    static const char *const rgszStatus[] = {"ok", "blank", "bad_checksum", "bad_pgno", "correctable"};
    PyObject *stored = PyList_New(0), *computed = PyList_New(0);
    for (uint32_t i = 0; stored && computed && i < pi.cblock && i < 4; i++) {
        PyObject *a = ULL(pi.rgchecksumStored[i]), *b = ULL(pi.rgchecksumComputed[i]);
        if (a == NULL || b == NULL || PyList_Append(stored, a) < 0 || PyList_Append(computed, b) < 0) {
            Py_CLEAR(stored);
        }
        Py_XDECREF(a);
        Py_XDECREF(b);
    }
    PyObject *d = PyDict_New();
    int r = (d && stored && computed) ? 0 : -1;
    if (r == 0) {
        r |= ese_dset(d, "pgno", U(pi.pgno));
        r |= ese_dset(d, "status", PyUnicode_FromString(pi.status >= 0 && pi.status <= 4 ? rgszStatus[pi.status] : "?"));
        r |= ese_dset(d, "checksum_ok", PyBool_FromLong(pi.status == ESEPY_ESE_PAGE_OK || pi.status == ESEPY_ESE_PAGE_BLANK));
        r |= ese_dset(d, "ecc_format", PyBool_FromLong(pi.fNewChecksumFormat));
        r |= ese_dset(d, "checksum_blocks", U(pi.cblock));
        r |= ese_dset(d, "bad_block", pi.status == ESEPY_ESE_PAGE_OK || pi.status == ESEPY_ESE_PAGE_BLANK
                                      ? Py_NewRef(Py_None) : U(pi.iblockBad));
        r |= ese_dset(d, "checksums_stored", Py_NewRef(stored));
        r |= ese_dset(d, "checksums_computed", Py_NewRef(computed));
        r |= ese_dset(d, "dbtime", ULL(pi.dbtimeDirtied));
        r |= ese_dset(d, "pgno_prev", U(pi.pgnoPrev));
        r |= ese_dset(d, "pgno_next", U(pi.pgnoNext));
        r |= ese_dset(d, "objid", U(pi.objidFDP));
        r |= ese_dset(d, "free_bytes", U(pi.cbFree));
        r |= ese_dset(d, "uncommitted_free_bytes", U(pi.cbUncommittedFree));
        r |= ese_dset(d, "free_offset", U(pi.ibMicFree));
        r |= ese_dset(d, "tag_count", U(pi.itagMicFree));
        r |= ese_dset(d, "flags", U(pi.fFlags));
    }
    Py_XDECREF(stored);
    Py_XDECREF(computed);
    if (r) {
        Py_XDECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *esefile_read_page(EseFileObject *self, PyObject *arg)
{
    unsigned long pgno = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred() || ese_check_open(self) < 0)
        return NULL;
    ESEPY_ESE_HEADER h;
    EsepyEseGetHeader(self->pfile, &h);
    PyObject *b = PyBytes_FromStringAndSize(NULL, h.cbPage);
    if (b == NULL)
        return NULL;
    JET_ERR err;
    ese_lock(self);
    ESEPY_CALL(err = EsepyEseReadPage(self->pfile, (uint32_t)pgno, PyBytes_AS_STRING(b), h.cbPage));
    ese_unlock(self);
    if (err < 0) {
        Py_DECREF(b);
        return raise_jet(err, "EsepyEseReadPage");
    }
    return b;
}

static PyObject *esefile_rewrite_page(EseFileObject *self, PyObject *arg)
{
    unsigned long pgno = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred() || ese_check_open(self) < 0)
        return NULL;
    ESEPY_ESE_HEADER h;
    EsepyEseGetHeader(self->pfile, &h);
    PyObject *b = PyBytes_FromStringAndSize(NULL, h.cbPage);
    if (b == NULL)
        return NULL;
    JET_ERR err;
    ese_lock(self);
    ESEPY_CALL(err = EsepyEseRewritePage(self->pfile, (uint32_t)pgno, PyBytes_AS_STRING(b), h.cbPage));
    ese_unlock(self);
    if (err < 0) {
        Py_DECREF(b);
        return raise_jet(err, "EsepyEseRewritePage");
    }
    return b;
}

static PyObject *esefile_page_tag(EseFileObject *self, PyObject *args)
{
    unsigned long pgno, itag;
    if (!PyArg_ParseTuple(args, "kk:page_tag", &pgno, &itag) || ese_check_open(self) < 0)
        return NULL;
    uint8_t rgb[32768];
    uint32_t cb = 0, fFlags = 0;
    JET_ERR err;
    ese_lock(self);
    ESEPY_CALL(err = EsepyEseGetPageTag(self->pfile, (uint32_t)pgno, (uint32_t)itag, &fFlags, rgb, sizeof(rgb), &cb));
    ese_unlock(self);
    if (err < 0)
        return raise_jet(err, "EsepyEseGetPageTag");
    return Py_BuildValue("(ky#)", (unsigned long)fFlags, (const char *)rgb, (Py_ssize_t)(cb < sizeof(rgb) ? cb : sizeof(rgb)));
}

static PyObject *esefile_damage(EseFileObject *self, PyObject *unused)
{
    (void)unused;
    if (ese_check_open(self) < 0)
        return NULL;
    ese_lock(self);
    uint32_t c = 0;
    EsepyEseGetDamageCount(self->pfile, &c);
    PyObject *l = PyList_New(0);
    for (uint32_t i = 0; l && i < c; i++) {
        ESEPY_ESE_DAMAGE dm;
        if (EsepyEseGetDamage(self->pfile, i, &dm) < 0)
            break;
        PyObject *d = PyDict_New();
        if (d == NULL || ese_dset(d, "pgno", U(dm.pgno)) < 0 || ese_dset(d, "error", I(dm.err)) < 0 ||
            ese_dset(d, "objid", U(dm.objidFDP)) < 0 ||
            ese_dset(d, "what", PyUnicode_DecodeUTF8(dm.szWhat, (Py_ssize_t)strlen(dm.szWhat), "replace")) < 0 ||
            PyList_Append(l, d) < 0)
            Py_CLEAR(l);
        Py_XDECREF(d);
    }
    ese_unlock(self);
    return l;
}

static PyObject *esefile_check_integrity(EseFileObject *self, PyObject *unused)
{
    (void)unused;
    if (ese_check_open(self) < 0)
        return NULL;
    ese_lock(self);
    ESEPY_ESE_INTEGRITY ii;
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseCheckIntegrity(self->pfile, &ii));
    ese_unlock(self);
    if (err < 0)
        return raise_jet(err, "EsepyEseCheckIntegrity");
    PyObject *d = PyDict_New();
    if (d == NULL || ese_dset(d, "tables", U(ii.ctable)) < 0 || ese_dset(d, "trees", U(ii.ctree)) < 0 ||
        ese_dset(d, "pages_checked", U(ii.cpageChecked)) < 0 || ese_dset(d, "pages_owned", U(ii.cpageOwned)) < 0 ||
        ese_dset(d, "findings", U(ii.cfinding)) < 0 || ese_dset(d, "first_damage", U(ii.idamageFirst)) < 0)
        Py_CLEAR(d);
    return d;
}

static PyObject *esefile_cursor(EseFileObject *self, PyObject *args)
{
    unsigned long itable;
    PyObject *factory = Py_None;
    int fDeleted = 0;
    long iindex = -1;
    int fCarve = 0;
    if (!PyArg_ParseTuple(args, "k|Oplp:cursor", &itable, &factory, &fDeleted, &iindex, &fCarve) ||
        ese_check_open(self) < 0)
        return NULL;
    EseCursorObject *c = PyObject_New(EseCursorObject, &EseCursorType);
    if (c == NULL)
        return NULL;
    c->file = NULL;
    c->pcursor = NULL;
    c->rgcoltyp = c->rgcp = c->rgmulti = NULL;
    c->pb = NULL;
    c->cb = 0;
    c->ccolumn = 0;
    c->itable = (uint32_t)itable;
    c->factory = Py_NewRef(factory);
    ese_lock(self);
    JET_ERR err;
    ESEPY_ESE_TABLEINFO ti;
    ESEPY_CALL(err = EsepyEseGetTableInfo(self->pfile, (uint32_t)itable, &ti));
    if (err >= 0) {
        c->rgcoltyp = PyMem_Calloc(ti.ccolumn + 1, sizeof(uint32_t));
        c->rgcp = PyMem_Calloc(ti.ccolumn + 1, sizeof(uint32_t));
        c->rgmulti = PyMem_Calloc(ti.ccolumn + 1, sizeof(uint32_t));
        c->cb = 65536;
        c->pb = PyMem_Malloc(c->cb);
        if (!c->rgcoltyp || !c->rgcp || !c->rgmulti || !c->pb)
            err = JET_errOutOfMemory;
        for (uint32_t ic = 0; err >= 0 && ic < ti.ccolumn; ic++) {
            ESEPY_ESE_COLUMNINFO ci;
            err = EsepyEseGetColumnInfo(self->pfile, (uint32_t)itable, ic, &ci);
            c->rgcoltyp[ic] = ci.coltyp;
            c->rgcp[ic] = ci.cp;
            c->rgmulti[ic] = (ci.grbit & JET_bitColumnMultiValued) != 0;
        }
        c->ccolumn = ti.ccolumn;
    }
    if (err >= 0 && iindex < 0)
        ESEPY_CALL(err = EsepyEseCursorOpen(self->pfile, (uint32_t)itable,
                                                (fDeleted ? ESEPY_ESE_CURSOR_DELETED : 0) |
                                                (fCarve ? ESEPY_ESE_CURSOR_CARVE : 0), &c->pcursor));
    else if (err >= 0)
        ESEPY_CALL(err = EsepyEseCursorOpenIndex(self->pfile, (uint32_t)itable, (uint32_t)iindex,
                                                 fDeleted ? ESEPY_ESE_CURSOR_DELETED : 0, &c->pcursor));
    ese_unlock(self);
    if (err < 0) {
        Py_DECREF(c);
        return raise_jet(err, "EsepyEseCursorOpen");
    }
    c->file = (EseFileObject *)Py_NewRef(self);
    self->ccursor++;
    return (PyObject *)c;
}

static PyObject *esefile_enter(EseFileObject *self, PyObject *unused)
{
    (void)unused;
    return Py_NewRef(self);
}

static PyObject *esefile_exit(EseFileObject *self, PyObject *args)
{
    (void)args;
    return esefile_close(self, NULL);
}

static PyMethodDef esefile_methods[] = {
    {"close", (PyCFunction)esefile_close, METH_NOARGS,
     "Close the file (at once, or when its last open cursor closes)."},
    {"header", (PyCFunction)esefile_header, METH_NOARGS, "The database header as a dict."},
    {"tables", (PyCFunction)esefile_tables, METH_NOARGS,
     "Tables of the catalog: list of dicts with columns and indexes."},
    {"page_info", (PyCFunction)esefile_page_info, METH_O, "page_info(pgno) -> dict with checksum status."},
    {"read_page", (PyCFunction)esefile_read_page, METH_O, "read_page(pgno) -> raw page bytes."},
    {"page_tag", (PyCFunction)esefile_page_tag, METH_VARARGS, "page_tag(pgno, itag) -> (flags, bytes)."},
    {"rewrite_page", (PyCFunction)esefile_rewrite_page, METH_O,
     "rewrite_page(pgno) -> the page decoded and encoded again by recovery's page model."},
    {"damage", (PyCFunction)esefile_damage, METH_NOARGS, "Damage met so far: list of dicts."},
    {"check_integrity", (PyCFunction)esefile_check_integrity, METH_NOARGS,
     "B+tree and space check (EsepyEseCheckIntegrity): dict of counts; findings are added to damage()."},
    {"cursor", (PyCFunction)esefile_cursor, METH_VARARGS,
     "cursor(itable, factory=None, deleted=False, index=-1, carve=False) -> EseCursor over the records of\n"
     "table itable (deleted=True also returns nodes flagged deleted; index >= 0: in the order of that index;\n"
     "carve=True: the nodes of the table's leaf pages its tree does not reach)."},
    {"__enter__", (PyCFunction)esefile_enter, METH_NOARGS, "Return self."},
    {"__exit__", (PyCFunction)esefile_exit, METH_VARARGS, "Close the file."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EseFileType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.EseFile",
    .tp_basicsize = sizeof(EseFileObject),
    .tp_dealloc = (destructor)esefile_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "EseFile(path, skip_checksums=False)\n--\n\nA real ESE database file opened read-only "
              "(low level; use esepy.open_ese).",
    .tp_methods = esefile_methods,
    .tp_init = (initproc)esefile_init,
    .tp_new = esefile_new,
};

