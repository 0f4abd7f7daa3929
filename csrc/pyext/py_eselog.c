/*
 * py_eselog.c -- Python face of the reader of Windows ESE log records
 * (esepy_ese.h, EsepyEseLog* / EsepyEseLogChain*): the types EseLog (one
 * log file) and EseLogChain (a folder's generations and checkpoint), whose
 * records come out as dicts.  Included by module.c after py_ese.c (whose
 * dict helpers it uses); eselog_register() adds the types to the module.
 *
 * Owns: converting ESEPY_ESE_LOGRECORD / LOGINFO / LOGSEGMENT / LOGCHAININFO
 * / LOGGEN into dicts, and a signature dict back into ESEPY_ESE_SIGNATURE.
 * Must not touch: engine internals -- only the public esepy_ese.h API.
 *
 * Threads: each object has a lock that every call takes (waited for without
 * the GIL); the GIL is released around the calls that read files.  Errors
 * raise the JET error with the reader's own sentence (which names the record
 * type, file or generation) as the operation text.
 */

typedef struct {
    PyObject_HEAD
    ESEPY_ESE_LOG *plog;
    PyThread_type_lock lock;
} EseLogObject;

typedef struct {
    PyObject_HEAD
    ESEPY_ESE_LOGCHAIN *pchain;
    PyThread_type_lock lock;
} EseLogChainObject;

static PyTypeObject EseLogType;
static PyTypeObject EseLogChainType;

static void eselog_lock(PyThread_type_lock lock)
{
    if (!PyThread_acquire_lock(lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static PyObject *eselog_raise(JET_ERR err, const char *szOp, const char *szWhy)
{
    char sz[400];
    if (szWhy != NULL && szWhy[0])
        snprintf(sz, sizeof(sz), "%s: %s", szOp, szWhy);
    else
        snprintf(sz, sizeof(sz), "%s", szOp);
    return raise_jet(err, sz);
}

static PyObject *eselog_bytes(const uint8_t *pb, uint32_t cb)
{
    return PyBytes_FromStringAndSize((const char *)(pb ? pb : (const uint8_t *)""), (Py_ssize_t)(pb ? cb : 0));
}

static PyObject *eselog_str(const char *sz)
{
    return PyUnicode_DecodeUTF8(sz, (Py_ssize_t)strlen(sz), "replace");
}

static PyObject *eselog_record_dict(const ESEPY_ESE_LOGRECORD *r)
{
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    const uint32_t t = r->lrtyp, f = r->fFields;
    int e = 0;
    e |= ese_dset(d, "type", PyUnicode_FromString(r->szName ? r->szName : "?"));
    e |= ese_dset(d, "lrtyp", U(t));
    e |= ese_dset(d, "lgpos", ese_lgpos_tuple(&r->lgpos));
    e |= ese_dset(d, "size", U(r->cb));
    if (f & ESEPY_ESE_LR_FRAGMENTED)
        e |= ese_dset(d, "fragments", U(r->cfragment));
    if (f & ESEPY_ESE_LR_IGNORABLE)
        e |= ese_dset(d, "ignorable", Py_NewRef(Py_True));
    if (f & ESEPY_ESE_LR_PROCID)
        e |= ese_dset(d, "procid", U(r->procid));
    if (f & ESEPY_ESE_LR_DBID)
        e |= ese_dset(d, "dbid", U(r->dbid));
    if ((f & ESEPY_ESE_LR_PAGE) || r->pgno)
        e |= ese_dset(d, "pgno", U(r->pgno));
    if (f & (ESEPY_ESE_LR_PAGE | ESEPY_ESE_LR_DBTIME))
        e |= ese_dset(d, "dbtime", ULL(r->dbtime));
    if ((f & ESEPY_ESE_LR_PAGE) || t == ESEPY_ESE_LRTYP_SCANCHECK2)
        e |= ese_dset(d, "dbtime_before", ULL(r->dbtimeBefore));
    if (f & ESEPY_ESE_LR_PAGE) {
        e |= ese_dset(d, "trx_begin0", U(r->trxBegin0));
        e |= ese_dset(d, "level", U(r->level));
        e |= ese_dset(d, "iline", U(r->iline));
        e |= ese_dset(d, "page_flags", U(r->fPageFlags));
    }
    if (f & ESEPY_ESE_LR_NODE) {
        e |= ese_dset(d, "rceid", U(r->rceid));
        e |= ese_dset(d, "pgno_fdp", U(r->pgnoFDP));
    }
    if ((f & ESEPY_ESE_LR_NODE) || r->objidFDP)
        e |= ese_dset(d, "objid_fdp", U(r->objidFDP));
    if (f & ESEPY_ESE_LR_LOGTIME)
        e |= ese_dset(d, "time", ese_time_tuple(&r->logtime));
    switch (t) {
    case ESEPY_ESE_LRTYP_BEGIN: case ESEPY_ESE_LRTYP_BEGIN0: case ESEPY_ESE_LRTYP_BEGINDT:
        e |= ese_dset(d, "level_begin_from", U(r->level));
        e |= ese_dset(d, "levels", U(r->clevels));
        if (t != ESEPY_ESE_LRTYP_BEGIN)
            e |= ese_dset(d, "trx", U(r->trx));
        break;
    case ESEPY_ESE_LRTYP_COMMIT: case ESEPY_ESE_LRTYP_COMMIT0:
        e |= ese_dset(d, "level_commit_to", U(r->level));
        if (t == ESEPY_ESE_LRTYP_COMMIT0)
            e |= ese_dset(d, "trx", U(r->trx));
        break;
    case ESEPY_ESE_LRTYP_ROLLBACK:
        e |= ese_dset(d, "levels_rolled_back", U(r->level));
        break;
    case ESEPY_ESE_LRTYP_REFRESH:
        e |= ese_dset(d, "trx", U(r->trx));
        break;
    case ESEPY_ESE_LRTYP_TERM: case ESEPY_ESE_LRTYP_TERM2: case ESEPY_ESE_LRTYP_RECOVERYQUIT:
    case ESEPY_ESE_LRTYP_RECOVERYQUIT2: case ESEPY_ESE_LRTYP_RECOVERYQUITKEEPATTACHMENTS:
        e |= ese_dset(d, "lgpos_back", ese_lgpos_tuple(&r->lgposBack));
        e |= ese_dset(d, "lgpos_redo_from", ese_lgpos_tuple(&r->lgposRedoFrom));
        e |= ese_dset(d, "hard", PyBool_FromLong(r->fHard != 0));
        break;
    case ESEPY_ESE_LRTYP_ATTACHDB:
        e |= ese_dset(d, "lgpos_consistent", ese_lgpos_tuple(&r->lgposConsistent));
        e |= ese_dset(d, "sign_db", ese_sign_dict(&r->signDb));
        e |= ese_dset(d, "sign_log", ese_sign_dict(&r->signLog));
        e |= ese_dset(d, "max_pages", U(r->cpgDatabaseSizeMax));
        e |= ese_dset(d, "db_flags", U(r->fDbFlags));
        break;
    case ESEPY_ESE_LRTYP_CREATEDB:
        e |= ese_dset(d, "sign_db", ese_sign_dict(&r->signDb));
        e |= ese_dset(d, "max_pages", U(r->cpgDatabaseSizeMax));
        e |= ese_dset(d, "grbit", U(r->grbit));
        e |= ese_dset(d, "db_flags", U(r->fDbFlags));
        e |= ese_dset(d, "version", Py_BuildValue("(kk)", (unsigned long)r->rgulVersion[0], (unsigned long)r->rgulVersion[1]));
        break;
    case ESEPY_ESE_LRTYP_DETACHDB:
        e |= ese_dset(d, "db_flags", U(r->fDbFlags));
        break;
    case ESEPY_ESE_LRTYP_REATTACH:
        e |= ese_dset(d, "lgpos_consistent", ese_lgpos_tuple(&r->lgposConsistent));
        e |= ese_dset(d, "sign_db", ese_sign_dict(&r->signDb));
        break;
    case ESEPY_ESE_LRTYP_SETDBVERSION:
        e |= ese_dset(d, "version", Py_BuildValue("(kkk)", (unsigned long)r->rgulVersion[0],
                                                  (unsigned long)r->rgulVersion[1], (unsigned long)r->rgulVersion[2]));
        break;
    case ESEPY_ESE_LRTYP_REPLACE: case ESEPY_ESE_LRTYP_REPLACED:
        e |= ese_dset(d, "old_size", U(r->cbOldData));
        e |= ese_dset(d, "new_size", U(r->cbNewData));
        if (t == ESEPY_ESE_LRTYP_REPLACED)
            e |= ese_dset(d, "diff2", PyBool_FromLong(r->fDiff2 != 0));
        break;
    case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
        e |= ese_dset(d, "rceid_replace", U(r->rceidReplace));
        break;
    case ESEPY_ESE_LRTYP_UNDOINFO:
        e |= ese_dset(d, "oper", U(r->oper));
        e |= ese_dset(d, "max_size", U(r->cbMaxSize));
        e |= ese_dset(d, "delta", PyLong_FromLongLong((long long)r->delta));
        break;
    case ESEPY_ESE_LRTYP_UNDO:
        e |= ese_dset(d, "oper", U(r->oper));
        break;
    case ESEPY_ESE_LRTYP_DELTA: case ESEPY_ESE_LRTYP_DELTA64:
        e |= ese_dset(d, "delta", PyLong_FromLongLong((long long)r->delta));
        e |= ese_dset(d, "offset", U(r->ibOffset));
        break;
    case ESEPY_ESE_LRTYP_SPLIT2: case ESEPY_ESE_LRTYP_MERGE2: case ESEPY_ESE_LRTYP_PAGEMOVE:
        e |= ese_dset(d, t == ESEPY_ESE_LRTYP_MERGE2 ? "merge_type" : "split_type", U(r->ulSplitMergeType));
        if (t == ESEPY_ESE_LRTYP_SPLIT2)
            e |= ese_dset(d, "split_oper", U(r->ulSplitOper));
        e |= ese_dset(d, "image_size", U(r->cbImage));
        break;
    default:
        break;
    }
    if (r->pgnoNew)
        e |= ese_dset(d, t == ESEPY_ESE_LRTYP_PAGEMOVE ? "pgno_dest" : (t == ESEPY_ESE_LRTYP_SPLIT2 ? "pgno_new" : "pgno_oe"),
                      U(r->pgnoNew));
    if (r->pgnoRight)
        e |= ese_dset(d, (t == ESEPY_ESE_LRTYP_CREATEMEFDP || t == ESEPY_ESE_LRTYP_CONVERTFDP2) ? "pgno_ae" : "pgno_right",
                      U(r->pgnoRight));
    if (r->pgnoLeft)
        e |= ese_dset(d, "pgno_left", U(r->pgnoLeft));
    if (r->pgnoParent)
        e |= ese_dset(d, "pgno_parent", U(r->pgnoParent));
    if (r->dbtimeRightBefore)
        e |= ese_dset(d, "dbtime_right_before", ULL(r->dbtimeRightBefore));
    if (r->dbtimeLeftBefore)
        e |= ese_dset(d, "dbtime_left_before", ULL(r->dbtimeLeftBefore));
    if (r->dbtimeParentBefore)
        e |= ese_dset(d, "dbtime_parent_before", ULL(r->dbtimeParentBefore));
    if (r->pgnoLast)
        e |= ese_dset(d, "pgno_last", U(r->pgnoLast));
    if (r->cpg)
        e |= ese_dset(d, "cpg", U(r->cpg));
    if (r->szPath)
        e |= ese_dset(d, "path", eselog_str(r->szPath));
    if (r->pbKey) {
        e |= ese_dset(d, "key", eselog_bytes(r->pbKey, r->cbKey));
        if (t == ESEPY_ESE_LRTYP_INSERT)
            e |= ese_dset(d, "key_prefix", U(r->cbKeyPrefix));
    }
    if (r->pbData)
        e |= ese_dset(d, "data", eselog_bytes(r->pbData, r->cbData));
    if (e) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *eselog_info_dict(const ESEPY_ESE_LOGINFO *pi)
{
    static const char *const rgszEnd[] = {"full", "stale", "zero", "shadow", "damaged"};
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int e = 0;
    e |= ese_dset(d, "generation", I(pi->lGeneration));
    e |= ese_dset(d, "file_sectors", U(pi->csecLGFile));
    e |= ese_dset(d, "good_segments", U(pi->csegGood));
    e |= ese_dset(d, "corrected_segments", U(pi->csegCorrected));
    e |= ese_dset(d, "patched_segments", U(pi->csegPatched));
    e |= ese_dset(d, "end_kind", PyUnicode_FromString(pi->endKind >= 0 && pi->endKind <= 4 ? rgszEnd[pi->endKind] : "?"));
    e |= ese_dset(d, "end", ese_lgpos_tuple(&pi->lgposEnd));
    e |= ese_dset(d, "closed_normally", PyBool_FromLong(pi->fClosedNormally));
    e |= ese_dset(d, "checksum_all_segments", ULL(pi->checksumAllSegments));
    e |= ese_dset(d, "integrity_error", I(pi->errIntegrity));
    e |= ese_dset(d, "error", eselog_str(pi->szError));
    if (e) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *eselog_segment_dict(const ESEPY_ESE_LOGSEGMENT *ps)
{
    static const char *const rgszStatus[] = {"good", "corrected", "stale", "zero", "shadow", "damaged", "after_end", "patched"};
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int e = 0;
    e |= ese_dset(d, "isec", U(ps->isec));
    e |= ese_dset(d, "status", PyUnicode_FromString(ps->status >= 0 && ps->status <= 7 ? rgszStatus[ps->status] : "?"));
    e |= ese_dset(d, "checksum", ULL(ps->checksumStored));
    e |= ese_dset(d, "checksum_computed", ULL(ps->checksumComputed));
    e |= ese_dset(d, "lgpos", ese_lgpos_tuple(&ps->lgposSegment));
    e |= ese_dset(d, "time", ese_time_tuple(&ps->logtimeSegment));
    e |= ese_dset(d, "flags", U(ps->fFlags));
    if (ps->ibitCorrected >= 0)
        e |= ese_dset(d, "corrected_bit", I(ps->ibitCorrected));
    if (e) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* ---- EseLog ----------------------------------------------------------------------- */

static PyObject *eselogobj_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    EseLogObject *self = (EseLogObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static int eselogobj_init(EseLogObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"path", "correct", NULL};
    PyObject *path = NULL;
    int fCorrect = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|p:EseLog", kwlist, PyUnicode_FSConverter, &path, &fCorrect))
        return -1;
    if (self->plog != NULL) {
        Py_DECREF(path);
        PyErr_SetString(PyExc_RuntimeError, "EseLog.__init__ called twice");
        return -1;
    }
    JET_ERR err;
    const char *sz = PyBytes_AS_STRING(path);
    ESEPY_CALL(err = EsepyEseLogOpen(sz, fCorrect ? 0 : ESEPY_ESE_LOG_OPEN_NO_CORRECTION, &self->plog));
    Py_DECREF(path);
    if (err < 0) {
        raise_jet(err, "EsepyEseLogOpen");
        return -1;
    }
    return 0;
}

static void eselogobj_dealloc(EseLogObject *self)
{
    EsepyEseLogClose(self->plog);
    if (self->lock)
        PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int eselogobj_check(EseLogObject *self)
{
    if (self->plog == NULL) {
        PyErr_SetString(PyExc_ValueError, "the log is closed");
        return -1;
    }
    return 0;
}

static PyObject *eselogobj_close(EseLogObject *self, PyObject *unused)
{
    (void)unused;
    eselog_lock(self->lock);
    EsepyEseLogClose(self->plog);
    self->plog = NULL;
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *eselogobj_info(EseLogObject *self, PyObject *unused)
{
    (void)unused;
    if (eselogobj_check(self) < 0)
        return NULL;
    ESEPY_ESE_LOGINFO li;
    eselog_lock(self->lock);
    EsepyEseLogGetInfo(self->plog, &li);
    PyThread_release_lock(self->lock);
    return eselog_info_dict(&li);
}

static PyObject *eselogobj_segments(EseLogObject *self, PyObject *unused)
{
    (void)unused;
    if (eselogobj_check(self) < 0)
        return NULL;
    PyObject *l = PyList_New(0);
    if (l == NULL)
        return NULL;
    eselog_lock(self->lock);
    ESEPY_ESE_LOGHEADER *ph = PyMem_Malloc(sizeof(*ph));
    if (ph == NULL) {
        PyThread_release_lock(self->lock);
        Py_DECREF(l);
        return PyErr_NoMemory();
    }
    EsepyEseLogGetHeader(self->plog, ph);
    for (uint32_t isec = ph->csecHeader; isec < ph->csecLGFile; isec++) {
        ESEPY_ESE_LOGSEGMENT seg;
        if (EsepyEseLogGetSegment(self->plog, isec, &seg) < 0)
            break;
        PyObject *d = eselog_segment_dict(&seg);
        if (d == NULL || PyList_Append(l, d) < 0) {
            Py_XDECREF(d);
            Py_CLEAR(l);
            break;
        }
        Py_DECREF(d);
    }
    PyMem_Free(ph);
    PyThread_release_lock(self->lock);
    return l;
}

static PyObject *eselogobj_rewind(EseLogObject *self, PyObject *unused)
{
    (void)unused;
    if (eselogobj_check(self) < 0)
        return NULL;
    eselog_lock(self->lock);
    EsepyEseLogRewind(self->plog);
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

/* Next record as a dict; None after the last. */
static PyObject *eselogobj_next_record(EseLogObject *self, PyObject *unused)
{
    (void)unused;
    if (eselogobj_check(self) < 0)
        return NULL;
    ESEPY_ESE_LOGRECORD r;
    eselog_lock(self->lock);
    JET_ERR err = EsepyEseLogNextRecord(self->plog, &r);
    PyObject *res;
    if (err == JET_errNoCurrentRecord) {
        res = Py_NewRef(Py_None);
    } else if (err < 0) {
        ESEPY_ESE_LOGINFO li;
        EsepyEseLogGetInfo(self->plog, &li);
        res = eselog_raise(err, "EsepyEseLogNextRecord", li.szError);
    } else {
        res = eselog_record_dict(&r);
    }
    PyThread_release_lock(self->lock);
    return res;
}

static PyObject *eselogobj_iternext(EseLogObject *self)
{
    PyObject *r = eselogobj_next_record(self, NULL);
    if (r == Py_None) {
        Py_DECREF(r);
        return NULL; /* StopIteration */
    }
    return r;
}

static PyObject *eselogobj_enter(PyObject *self, PyObject *unused)
{
    (void)unused;
    return Py_NewRef(self);
}

static PyObject *eselogobj_exit(EseLogObject *self, PyObject *args)
{
    (void)args;
    return eselogobj_close(self, NULL);
}

static PyMethodDef eselogobj_methods[] = {
    {"close", (PyCFunction)eselogobj_close, METH_NOARGS, "Close the log."},
    {"info", (PyCFunction)eselogobj_info, METH_NOARGS, "Segment counts, end of data, integrity (dict)."},
    {"segments", (PyCFunction)eselogobj_segments, METH_NOARGS, "Classification of every sector after the header."},
    {"rewind", (PyCFunction)eselogobj_rewind, METH_NOARGS, "Restart the record walk."},
    {"next_record", (PyCFunction)eselogobj_next_record, METH_NOARGS, "Next record (dict), None after the last."},
    {"__enter__", (PyCFunction)eselogobj_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)eselogobj_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EseLogType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.EseLog",
    .tp_basicsize = sizeof(EseLogObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "EseLog(path, correct=True): the records of one Windows ESE log file (read-only).",
    .tp_new = eselogobj_new,
    .tp_init = (initproc)eselogobj_init,
    .tp_dealloc = (destructor)eselogobj_dealloc,
    .tp_methods = eselogobj_methods,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)eselogobj_iternext,
};

/* ---- EseLogChain -------------------------------------------------------------------- */

/* A signature dict (random, created 8-tuple or None, computer_name) -> struct. */
static int eselog_sign_from_dict(PyObject *o, ESEPY_ESE_SIGNATURE *ps)
{
    memset(ps, 0, sizeof(*ps));
    if (!PyDict_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "sign_log must be a dict with random, created and computer_name");
        return -1;
    }
    PyObject *rnd = PyDict_GetItemString(o, "random");
    PyObject *cr = PyDict_GetItemString(o, "created");
    PyObject *cn = PyDict_GetItemString(o, "computer_name");
    if (rnd == NULL) {
        PyErr_SetString(PyExc_KeyError, "sign_log: random");
        return -1;
    }
    ps->ulRandom = (uint32_t)PyLong_AsUnsignedLongMask(rnd);
    if (PyErr_Occurred())
        return -1;
    if (cr != NULL && cr != Py_None) {
        int y, mo, da, h, mi, s, ms, utc;
        if (!PyArg_ParseTuple(cr, "iiiiiiii;sign_log created must be an 8-tuple", &y, &mo, &da, &h, &mi, &s, &ms, &utc))
            return -1;
        ps->logtimeCreate.year = (uint16_t)y;
        ps->logtimeCreate.month = (uint8_t)mo;
        ps->logtimeCreate.day = (uint8_t)da;
        ps->logtimeCreate.hour = (uint8_t)h;
        ps->logtimeCreate.minute = (uint8_t)mi;
        ps->logtimeCreate.second = (uint8_t)s;
        ps->logtimeCreate.millisecond = (uint16_t)ms;
        ps->logtimeCreate.fUTC = (uint8_t)utc;
    }
    if (cn != NULL && cn != Py_None) {
        const char *sz = PyUnicode_AsUTF8(cn);
        if (sz == NULL)
            return -1;
        snprintf(ps->szComputerName, sizeof(ps->szComputerName), "%s", sz);
    }
    return 0;
}

static PyObject *eselogchain_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    EseLogChainObject *self = (EseLogChainObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static int eselogchain_init(EseLogChainObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"folder", "base", "first_generation", "sign_log", "inspect", NULL};
    PyObject *path = NULL, *sign = Py_None;
    const char *szBase = NULL;
    int lGenFirst = 0, fInspect = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|ziOp:EseLogChain", kwlist, PyUnicode_FSConverter, &path, &szBase,
                                     &lGenFirst, &sign, &fInspect))
        return -1;
    if (self->pchain != NULL) {
        Py_DECREF(path);
        PyErr_SetString(PyExc_RuntimeError, "EseLogChain.__init__ called twice");
        return -1;
    }
    ESEPY_ESE_SIGNATURE signLog, *psign = NULL;
    if (sign != Py_None) {
        if (eselog_sign_from_dict(sign, &signLog) < 0) {
            Py_DECREF(path);
            return -1;
        }
        psign = &signLog;
    }
    const char *sz = PyBytes_AS_STRING(path);
    ESEPY_ESE_LOGCHAIN *pchain = NULL;
    JET_ERR err;
    ESEPY_ESE_LOGCHAININFO *pci = PyMem_Malloc(sizeof(*pci));
    if (pci == NULL) {
        Py_DECREF(path);
        PyErr_NoMemory();
        return -1;
    }
    memset(pci, 0, sizeof(*pci));
    /* opened in inspect mode so that a refusal can be raised with its sentence */
    ESEPY_CALL(err = EsepyEseLogChainOpen(sz, szBase, lGenFirst, psign, ESEPY_ESE_LOGCHAIN_INSPECT, &pchain));
    Py_DECREF(path);
    if (err >= 0) {
        EsepyEseLogChainGetInfo(pchain, pci);
        if (pci->err < 0 && !fInspect) {
            err = pci->err;
            EsepyEseLogChainClose(pchain);
            pchain = NULL;
        }
    }
    if (err < 0) {
        eselog_raise(err, "EsepyEseLogChainOpen", err == pci->err ? pci->szError : "");
        PyMem_Free(pci);
        return -1;
    }
    PyMem_Free(pci);
    self->pchain = pchain;
    return 0;
}

static void eselogchain_dealloc(EseLogChainObject *self)
{
    EsepyEseLogChainClose(self->pchain);
    if (self->lock)
        PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int eselogchain_check(EseLogChainObject *self)
{
    if (self->pchain == NULL) {
        PyErr_SetString(PyExc_ValueError, "the log chain is closed");
        return -1;
    }
    return 0;
}

static PyObject *eselogchain_close(EseLogChainObject *self, PyObject *unused)
{
    (void)unused;
    eselog_lock(self->lock);
    EsepyEseLogChainClose(self->pchain);
    self->pchain = NULL;
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *eselogchain_info(EseLogChainObject *self, PyObject *unused)
{
    (void)unused;
    if (eselogchain_check(self) < 0)
        return NULL;
    ESEPY_ESE_LOGCHAININFO *pi = PyMem_Malloc(sizeof(*pi));
    if (pi == NULL)
        return PyErr_NoMemory();
    eselog_lock(self->lock);
    EsepyEseLogChainGetInfo(self->pchain, pi);
    PyThread_release_lock(self->lock);
    PyObject *d = PyDict_New();
    int e = d ? 0 : -1;
    if (d) {
        e |= ese_dset(d, "base", eselog_str(pi->szBase));
        e |= ese_dset(d, "first_generation", I(pi->lGenFirst));
        e |= ese_dset(d, "last_generation", I(pi->lGenLast));
        e |= ese_dset(d, "generations", U(pi->cgen));
        e |= ese_dset(d, "transitions", U(pi->ctransitions));
        e |= ese_dset(d, "transitions_ok", U(pi->ctransitionsOk));
        e |= ese_dset(d, "missing_generation", I(pi->lGenMissing));
        e |= ese_dset(d, "sign_log", ese_sign_dict(&pi->signLog));
        e |= ese_dset(d, "end", ese_lgpos_tuple(&pi->lgposEnd));
        e |= ese_dset(d, "checkpoint_error", I(pi->errCheckpoint));
        if (pi->errCheckpoint >= 0) {
            const ESEPY_ESE_CHECKPOINT *pk = &pi->checkpoint;
            e |= ese_dset(d, "checkpoint", ese_lgpos_tuple(&pk->lgposCheckpoint));
            e |= ese_dset(d, "checkpoint_copies_valid", Py_BuildValue("(OO)", pk->fValid[0] ? Py_True : Py_False,
                                                                      pk->fValid[1] ? Py_True : Py_False));
            e |= ese_dset(d, "checkpoint_copies_equal", PyBool_FromLong(pi->fCheckpointCopiesEqual));
            e |= ese_dset(d, "checkpoint_db_consistency", ese_lgpos_tuple(&pk->lgposDbConsistency));
        }
        e |= ese_dset(d, "checkpoint_fake", PyBool_FromLong(pi->fCheckpointFake));
        e |= ese_dset(d, "redo_start", ese_lgpos_tuple(&pi->lgposRedoStart));
        e |= ese_dset(d, "attached", ese_attach_list(pi->rgattach, pi->cattach));
        e |= ese_dset(d, "error_code", I(pi->err));
        e |= ese_dset(d, "error", eselog_str(pi->szError));
    }
    PyMem_Free(pi);
    if (e)
        Py_CLEAR(d);
    return d;
}

static PyObject *eselogchain_gens(EseLogChainObject *self, PyObject *unused)
{
    (void)unused;
    if (eselogchain_check(self) < 0)
        return NULL;
    PyObject *l = PyList_New(0);
    if (l == NULL)
        return NULL;
    eselog_lock(self->lock);
    ESEPY_ESE_LOGGEN g;
    for (uint32_t i = 0; EsepyEseLogChainGetGen(self->pchain, i, &g) >= 0; i++) {
        PyObject *d = PyDict_New();
        int e = d ? 0 : -1;
        if (d) {
            e |= ese_dset(d, "file", eselog_str(g.szFile));
            e |= ese_dset(d, "generation", I(g.lGeneration));
            e |= ese_dset(d, "current", PyBool_FromLong(g.fCurrent));
            e |= ese_dset(d, "created", ese_time_tuple(&g.tmCreate));
            e |= ese_dset(d, "previous_generation_created", ese_time_tuple(&g.tmPrevGen));
            e |= ese_dset(d, "prev_gen_linked", g.fPrevGenLinked < 0 ? Py_NewRef(Py_None) : PyBool_FromLong(g.fPrevGenLinked));
            e |= ese_dset(d, "checksum_linked", g.fChecksumLinked < 0 ? Py_NewRef(Py_None) : PyBool_FromLong(g.fChecksumLinked));
            e |= ese_dset(d, "sign_matches", PyBool_FromLong(g.fSignMatches));
            e |= ese_dset(d, "checksum_prev_log_all_segments", ULL(g.checksumPrevLogAllSegments));
            e |= ese_dset(d, "info", eselog_info_dict(&g.info));
        }
        if (e || PyList_Append(l, d) < 0) {
            Py_XDECREF(d);
            Py_CLEAR(l);
            break;
        }
        Py_DECREF(d);
    }
    PyThread_release_lock(self->lock);
    return l;
}

static PyObject *eselogchain_seek(EseLogChainObject *self, PyObject *arg)
{
    if (eselogchain_check(self) < 0)
        return NULL;
    ESEPY_ESE_LGPOS lgpos, *pl = NULL;
    if (arg != Py_None) {
        int g, s, b;
        if (!PyArg_ParseTuple(arg, "iii;seek takes a (generation, sector, byte) tuple or None", &g, &s, &b))
            return NULL;
        lgpos.lGeneration = g;
        lgpos.isec = (uint16_t)s;
        lgpos.ib = (uint16_t)b;
        pl = &lgpos;
    }
    eselog_lock(self->lock);
    EsepyEseLogChainSeek(self->pchain, pl);
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *eselogchain_next_record(EseLogChainObject *self, PyObject *unused)
{
    (void)unused;
    if (eselogchain_check(self) < 0)
        return NULL;
    ESEPY_ESE_LOGRECORD r;
    JET_ERR err;
    eselog_lock(self->lock);
    Py_BEGIN_ALLOW_THREADS
    err = EsepyEseLogChainNextRecord(self->pchain, &r);
    Py_END_ALLOW_THREADS
    PyObject *res;
    if (err == JET_errNoCurrentRecord) {
        res = Py_NewRef(Py_None);
    } else if (err < 0) {
        ESEPY_ESE_LOGCHAININFO *pi = PyMem_Malloc(sizeof(*pi));
        if (pi == NULL) {
            res = PyErr_NoMemory();
        } else {
            EsepyEseLogChainGetInfo(self->pchain, pi);
            res = eselog_raise(err, "EsepyEseLogChainNextRecord", pi->szError);
            PyMem_Free(pi);
        }
    } else {
        res = eselog_record_dict(&r);
    }
    PyThread_release_lock(self->lock);
    return res;
}

static PyObject *eselogchain_iternext(EseLogChainObject *self)
{
    PyObject *r = eselogchain_next_record(self, NULL);
    if (r == Py_None) {
        Py_DECREF(r);
        return NULL;
    }
    return r;
}

static PyObject *eselogchain_exit(EseLogChainObject *self, PyObject *args)
{
    (void)args;
    return eselogchain_close(self, NULL);
}

static PyMethodDef eselogchain_methods[] = {
    {"close", (PyCFunction)eselogchain_close, METH_NOARGS, "Close the chain."},
    {"info", (PyCFunction)eselogchain_info, METH_NOARGS, "Chain checks, checkpoint and redo start (dict)."},
    {"generations", (PyCFunction)eselogchain_gens, METH_NOARGS, "The generations, oldest first (list of dicts)."},
    {"seek", (PyCFunction)eselogchain_seek, METH_O, "Walk from the first record at or after an lgpos (None: the start)."},
    {"next_record", (PyCFunction)eselogchain_next_record, METH_NOARGS, "Next record (dict), None after the last."},
    {"__enter__", (PyCFunction)eselogobj_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)eselogchain_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EseLogChainType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.EseLogChain",
    .tp_basicsize = sizeof(EseLogChainObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "EseLogChain(folder, base=None, first_generation=0, sign_log=None, inspect=False): "
              "the generations of a Windows ESE log folder and its checkpoint (read-only).",
    .tp_new = eselogchain_new,
    .tp_init = (initproc)eselogchain_init,
    .tp_dealloc = (destructor)eselogchain_dealloc,
    .tp_methods = eselogchain_methods,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)eselogchain_iternext,
};

static PyObject *eselog_lrtyp_name(PyObject *mod, PyObject *arg)
{
    (void)mod;
    unsigned long t = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred())
        return NULL;
    const char *sz = EsepyEseLrtypName((uint32_t)t);
    if (sz == NULL)
        Py_RETURN_NONE;
    return PyUnicode_FromString(sz);
}

static PyMethodDef eselog_functions[] = {
    {"_ese_lrtyp_name", eselog_lrtyp_name, METH_O, "Name of an ESE log record type (None if unknown)."},
    {NULL, NULL, 0, NULL},
};

/* Add the types of this file to module m. */
static int eselog_register(PyObject *m)
{
    if (PyType_Ready(&EseLogType) < 0 || PyType_Ready(&EseLogChainType) < 0)
        return -1;
    if (PyModule_AddFunctions(m, eselog_functions) < 0)
        return -1;
    Py_INCREF(&EseLogType);
    if (PyModule_AddObject(m, "EseLog", (PyObject *)&EseLogType) < 0) {
        Py_DECREF(&EseLogType);
        return -1;
    }
    Py_INCREF(&EseLogChainType);
    if (PyModule_AddObject(m, "EseLogChain", (PyObject *)&EseLogChainType) < 0) {
        Py_DECREF(&EseLogChainType);
        return -1;
    }
    return 0;
}
