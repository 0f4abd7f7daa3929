/*
 * py_inspect.c -- Python face of esepy_inspect.h (read-only inspection of
 * esepy's own files): the type InspectDb and functions for headers, pages,
 * log records, checkpoints and backup trailers.  Included by module.c;
 * inspect_register() adds them to the module.  esepy/inspect/ wraps them in
 * typed dataclasses.
 *
 * Owns: converting the C structs into dicts and tuples of plain values:
 * LGPOS -> (generation, isec, ib), JET_LOGTIME -> its 8 bytes (decoded in
 * Python), JET_SIGNATURE -> (random, logtime bytes, computer name),
 * JET_BKINFO -> (lgpos, logtime bytes, genLow, genHigh).
 * Must not touch: engine internals -- only the public esepy_inspect.h API.
 *
 * Threads: an InspectDb is used under the GIL's protection only for its
 * pointer; the engine calls that do I/O run without the GIL, serialised by
 * the object's lock (a file handle's offsetless preads are safe, but close
 * must not race a read).
 */
#include "esepy_inspect.h"

static PyObject *insp_lgpos(JET_LGPOS l)
{
    return Py_BuildValue("(iII)", (int)l.lGeneration, (unsigned)l.isec, (unsigned)l.ib);
}

/* The 8 bytes of a LOGTIME in their on-disk encoding (byte 6: UTC flag and the low 7 bits of
 * the milliseconds, byte 7: the high 3 bits after a reserved bit), built from the fields so
 * that the compiler's bit-field layout does not matter. */
static PyObject *insp_time(const JET_LOGTIME *t)
{
    char b[8] = { t->bSeconds, t->bMinutes, t->bHours, t->bDay, t->bMonth, t->bYear,
                  (char)(t->fTimeIsUTC | t->bMillisecondsLow << 1),
                  (char)(t->fReserved | t->bMillisecondsHigh << 1 | t->fUnused << 4) };
    return PyBytes_FromStringAndSize(b, sizeof(b));
}

static PyObject *insp_sign(const JET_SIGNATURE *s)
{
    char name[sizeof(s->szComputerName) + 1];
    memcpy(name, s->szComputerName, sizeof(s->szComputerName));
    name[sizeof(s->szComputerName)] = '\0';
    return Py_BuildValue("(kNN)", (unsigned long)s->ulRandom, insp_time(&s->logtimeCreate),
                         PyUnicode_DecodeUTF8(name, (Py_ssize_t)strlen(name), "replace"));
}

static PyObject *insp_bkinfo(const JET_BKINFO *b)
{
    return Py_BuildValue("(NNkk)", insp_lgpos(b->lgposMark), insp_time(&b->logtimeMark), (unsigned long)b->genLow,
                         (unsigned long)b->genHigh);
}

static PyObject *insp_str(const char *sz)
{
    return PyUnicode_DecodeUTF8(sz, (Py_ssize_t)strlen(sz), "replace");
}

static PyObject *insp_attach_list(const ESEPY_INSPECT_ATTACH *rg, uint32_t c)
{
    PyObject *l = PyList_New(0);
    for (uint32_t i = 0; l != NULL && i < c; i++) {
        PyObject *t = Py_BuildValue("(kkNNN)", (unsigned long)rg[i].dbid, (unsigned long)rg[i].flags,
                                    insp_sign(&rg[i].signDb), insp_lgpos(rg[i].lgposAttach), insp_str(rg[i].szPath));
        if (t == NULL || PyList_Append(l, t) < 0)
            Py_CLEAR(l);
        Py_XDECREF(t);
    }
    return l;
}

static PyObject *insp_dbheader_dict(const ESEPY_INSPECT_DBHEADER *h)
{
    return Py_BuildValue(
        "{s:k,s:k,s:k,s:k,s:N,s:k,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:i,s:i,s:i,s:N,s:N,s:N,s:N,s:N,"
        "s:k,s:k,s:k,s:k,s:k,s:k,s:K,s:s,s:(OO)}",
        "checksum", (unsigned long)h->ulChecksum, "version", (unsigned long)h->ulVersion,
        "page_size", (unsigned long)h->cbPage, "filetype", (unsigned long)h->filetype,
        "db_signature", insp_sign(&h->signDb), "dbstate", (unsigned long)h->dbstate,
        "log_signature", insp_sign(&h->signLog),
        "lgpos_consistent", insp_lgpos(h->lgposConsistent), "time_consistent", insp_time(&h->logtimeConsistent),
        "lgpos_attach", insp_lgpos(h->lgposAttach), "time_attach", insp_time(&h->logtimeAttach),
        "lgpos_detach", insp_lgpos(h->lgposDetach), "time_detach", insp_time(&h->logtimeDetach),
        "gen_min_required", (int)h->genMinRequired, "gen_max_required", (int)h->genMaxRequired,
        "gen_max_committed", (int)h->genMaxCommitted,
        "backup_full_prev", insp_bkinfo(&h->bkinfoFullPrev), "backup_inc_prev", insp_bkinfo(&h->bkinfoIncPrev),
        "backup_full_cur", insp_bkinfo(&h->bkinfoFullCur), "backup_copy_prev", insp_bkinfo(&h->bkinfoCopyPrev),
        "backup_diff_prev", insp_bkinfo(&h->bkinfoDiffPrev),
        "dbid", (unsigned long)h->dbid, "flags", (unsigned long)h->flags, "objid_last", (unsigned long)h->objidLast,
        "pages_owned", (unsigned long)h->cpgOwned, "pgno_space", (unsigned long)h->pgnoSpace,
        "pgno_catalog", (unsigned long)h->pgnoCatalog, "dbtime", (unsigned long long)h->dbtime,
        "copy", h->iCopy ? "B" : "A", "copies_valid", h->fCopyAValid ? Py_True : Py_False,
        h->fCopyBValid ? Py_True : Py_False);
}

static PyObject *insp_page_dict(const ESEPY_INSPECT_PAGE *p)
{
    return Py_BuildValue(
        "{s:k,s:k,s:K,s:k,s:k,s:k,s:k,s:O,s:O,s:O,s:O,s:O,s:k,s:k,s:k,s:k,s:O,s:k,s:k,s:k,s:k,s:k,s:O}",
        "status", (unsigned long)p->status, "pgno_stored", (unsigned long)p->pgnoStored,
        "lsn", (unsigned long long)p->lsn, "objid", (unsigned long)p->objid, "flags", (unsigned long)p->flags,
        "prev", (unsigned long)p->pgnoPrev, "next", (unsigned long)p->pgnoNext,
        "leaf", p->fLeaf ? Py_True : Py_False, "internal", p->fInternal ? Py_True : Py_False,
        "root", p->fRoot ? Py_True : Py_False, "space", p->fSpace ? Py_True : Py_False,
        "free", p->fFree ? Py_True : Py_False, "cslot", (unsigned long)p->cslot, "ibheap", (unsigned long)p->ibHeap,
        "cbfrag", (unsigned long)p->cbFrag, "level", (unsigned long)p->level,
        "layout_ok", p->fLayoutOk ? Py_True : Py_False, "bytes_used", (unsigned long)p->cbUsed,
        "owned", (unsigned long)p->cpgOwned, "hwm", (unsigned long)p->pgnoHwm,
        "free_first", (unsigned long)p->pgnoFree, "free_count", (unsigned long)p->cpgFree,
        "space_magic", p->fSpaceMagic ? Py_True : Py_False);
}

static PyObject *insp_logheader_dict(const ESEPY_INSPECT_LOGHEADER *h)
{
    return Py_BuildValue("{s:i,s:k,s:k,s:k,s:N,s:N,s:N,s:N,s:N}", "generation", (int)h->lGeneration,
                         "file_size", (unsigned long)h->cbFile, "page_size", (unsigned long)h->cbPage,
                         "flags", (unsigned long)h->flags, "created", insp_time(&h->logtimeCreate),
                         "prev_created", insp_time(&h->logtimePrevGen), "signature", insp_sign(&h->signLog),
                         "checkpoint", insp_lgpos(h->lgposCheckpoint),
                         "attached", insp_attach_list(h->rgattach, h->cattach));
}

/* ---- functions --------------------------------------------------------------------- */

static PyObject *insp_crc32c(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer b;
    unsigned long crc = 0;
    if (!PyArg_ParseTuple(args, "y*|k:_inspect_crc32c", &b, &crc))
        return NULL;
    uint32_t r;
    ESEPY_CALL(r = EsepyCrc32c((uint32_t)crc, b.buf, (size_t)b.len));
    PyBuffer_Release(&b);
    return PyLong_FromUnsignedLong(r);
}

static PyObject *insp_db_header(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    ESEPY_INSPECT_DBHEADER h = { .cbStruct = sizeof(h) };
    JET_ERR err;
    ESEPY_CALL(err = EsepyInspectDatabaseHeader(PyBytes_AS_STRING(bytes), &h));
    Py_DECREF(bytes);
    if (err < 0)
        return raise_jet(err, "EsepyInspectDatabaseHeader");
    return insp_dbheader_dict(&h);
}

static PyObject *insp_decode_db_header(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0)
        return NULL;
    ESEPY_INSPECT_DBHEADER h = { .cbStruct = sizeof(h) };
    JET_ERR err = EsepyInspectDecodeDatabaseHeader(b.buf, (size_t)b.len, &h);
    PyBuffer_Release(&b);
    if (err < 0)
        return raise_jet(err, "EsepyInspectDecodeDatabaseHeader");
    return insp_dbheader_dict(&h);
}

static PyObject *insp_page(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer b;
    unsigned long pgno;
    if (!PyArg_ParseTuple(args, "y*k:_inspect_page", &b, &pgno))
        return NULL;
    ESEPY_INSPECT_PAGE p = { .cbStruct = sizeof(p) };
    JET_ERR err = EsepyInspectPage(b.buf, (uint32_t)b.len, (uint32_t)pgno, &p);
    PyBuffer_Release(&b);
    if (err < 0)
        return raise_jet(err, "EsepyInspectPage");
    return insp_page_dict(&p);
}

/* [(key, data, flags, child pgno)] of a tree page; DatabaseCorrupted when its layout is broken. */
static PyObject *insp_page_nodes(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0)
        return NULL;
    ESEPY_INSPECT_PAGE p = { .cbStruct = sizeof(p) };
    JET_ERR err = EsepyInspectPage(b.buf, (uint32_t)b.len, 0, &p);
    if (err >= 0 && !p.fLayoutOk)
        err = JET_errDatabaseCorrupted;
    PyObject *l = err < 0 ? NULL : PyList_New(0);
    for (uint32_t i = 0; l != NULL && i < p.cslot; i++) {
        ESEPY_INSPECT_NODE n;
        err = EsepyInspectPageNode(b.buf, (uint32_t)b.len, i, &n);
        if (err < 0) {
            Py_CLEAR(l);
            break;
        }
        PyObject *key = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n.cbPrefix + n.cbKey);
        PyObject *t = NULL;
        if (key != NULL) {
            char *pb = PyBytes_AS_STRING(key);
            if (n.cbPrefix)
                memcpy(pb, n.pbPrefix, n.cbPrefix);
            if (n.cbKey)
                memcpy(pb + n.cbPrefix, n.pbKey, n.cbKey);
            t = Py_BuildValue("(Ny#kk)", key, (const char *)n.pbData, (Py_ssize_t)n.cbData, (unsigned long)n.flags,
                              (unsigned long)n.pgnoChild);
        }
        if (t == NULL || PyList_Append(l, t) < 0)
            Py_CLEAR(l);
        Py_XDECREF(t);
    }
    PyBuffer_Release(&b);
    if (err < 0)
        return raise_jet(err, "EsepyInspectPageNode");
    return l;
}

/* _inspect_catalog_row(key, data) -> (kind, table objid, objid, root, lv objid, lv root, name) */
static PyObject *insp_catalog_row(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer k, d;
    if (!PyArg_ParseTuple(args, "y*y*:_inspect_catalog_row", &k, &d))
        return NULL;
    ESEPY_INSPECT_CATALOG_ROW r = { .cbStruct = sizeof(r) };
    JET_ERR err = EsepyInspectCatalogRow(k.buf, (uint32_t)k.len, d.buf, (uint32_t)d.len, &r);
    PyBuffer_Release(&k);
    PyBuffer_Release(&d);
    if (err < 0)
        return raise_jet(err, "EsepyInspectCatalogRow");
    char kind[2] = { r.kind, '\0' };
    return Py_BuildValue("(skkkkkN)", kind, (unsigned long)r.objidTable, (unsigned long)r.objid,
                         (unsigned long)r.pgnoRoot, (unsigned long)r.objidLV, (unsigned long)r.pgnoLV,
                         insp_str(r.szName));
}

static PyObject *insp_log_header(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    ESEPY_INSPECT_LOGHEADER h = { .cbStruct = sizeof(h) };
    JET_ERR err;
    ESEPY_CALL(err = EsepyInspectLogHeader(PyBytes_AS_STRING(bytes), &h));
    Py_DECREF(bytes);
    if (err < 0)
        return raise_jet(err, "EsepyInspectLogHeader");
    return insp_logheader_dict(&h);
}

static PyObject *insp_decode_log_header(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0)
        return NULL;
    ESEPY_INSPECT_LOGHEADER h = { .cbStruct = sizeof(h) };
    JET_ERR err = EsepyInspectDecodeLogHeader(b.buf, (size_t)b.len, &h);
    PyBuffer_Release(&b);
    if (err < 0)
        return raise_jet(err, "EsepyInspectDecodeLogHeader");
    return insp_logheader_dict(&h);
}

/* (header dict, [(lgpos, type, length, payload, trx, dbid, pgno, db path)], tail dict) of one
 * generation file (trx / dbid / pgno None where the record has none). */
static PyObject *insp_log_read(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *bytes = NULL, *recs = NULL, *out = NULL;
    ESEPY_INSPECT_LOG *plog = NULL;
    JET_ERR err;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    ESEPY_CALL(err = EsepyInspectLogOpen(PyBytes_AS_STRING(bytes), &plog));
    ESEPY_INSPECT_LOGHEADER h = { .cbStruct = sizeof(h) };
    if (err >= 0)
        ESEPY_CALL(err = EsepyInspectLogHeader(PyBytes_AS_STRING(bytes), &h));
    Py_DECREF(bytes);
    if (err < 0) {
        EsepyInspectLogClose(plog);
        return raise_jet(err, "EsepyInspectLogOpen");
    }
    recs = PyList_New(0);
    while (recs != NULL) {
        ESEPY_INSPECT_LOGRECORD r;
        ESEPY_CALL(err = EsepyInspectLogNext(plog, &r));
        if (err != JET_errSuccess)
            break;
        PyObject *trx = r.fTrx ? PyLong_FromUnsignedLongLong(r.trx) : Py_NewRef(Py_None);
        PyObject *dbid = r.fDbid ? PyLong_FromUnsignedLong(r.dbid) : Py_NewRef(Py_None);
        PyObject *pgno = r.fPgno ? PyLong_FromUnsignedLong(r.pgno) : Py_NewRef(Py_None);
        PyObject *t = Py_BuildValue("(NkkNNNNN)", insp_lgpos(r.lgpos), (unsigned long)r.type, (unsigned long)r.cb,
                                    PyBytes_FromStringAndSize((const char *)r.pvPayload, (Py_ssize_t)r.cbPayload),
                                    trx, dbid, pgno, insp_str(r.szDbPath));
        if (t == NULL || PyList_Append(recs, t) < 0)
            Py_CLEAR(recs);
        Py_XDECREF(t);
    }
    ESEPY_INSPECT_LOGTAIL tail;
    if (recs != NULL && err >= 0)
        ESEPY_CALL(err = EsepyInspectLogTail(plog, &tail));
    EsepyInspectLogClose(plog);
    if (recs == NULL)
        return NULL;
    if (err < 0) {
        Py_DECREF(recs);
        return raise_jet(err, "EsepyInspectLogNext");
    }
    out = Py_BuildValue("(NN{s:N,s:O,s:O,s:O,s:k,s:N})", insp_logheader_dict(&h), recs, "end",
                        insp_lgpos(tail.lgposEnd), "genend", tail.fGenEnd ? Py_True : Py_False, "torn",
                        tail.fTorn ? Py_True : Py_False, "damaged", tail.fDamaged ? Py_True : Py_False,
                        "corrected", (unsigned long)tail.ccorrected, "corrected_at", insp_lgpos(tail.lgposCorrected));
    return out;
}

static PyObject *insp_checkpoint(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    ESEPY_INSPECT_CHECKPOINT c = { .cbStruct = sizeof(c) };
    JET_ERR err;
    ESEPY_CALL(err = EsepyInspectCheckpoint(PyBytes_AS_STRING(bytes), &c));
    Py_DECREF(bytes);
    if (err < 0)
        return raise_jet(err, "EsepyInspectCheckpoint");
    return Py_BuildValue("{s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:s,s:(OO)}", "checkpoint", insp_lgpos(c.lgposCheckpoint),
                         "signature", insp_sign(&c.signLog), "full_backup", insp_lgpos(c.lgposFullBackup),
                         "incremental_backup", insp_lgpos(c.lgposIncBackup),
                         "full_backup_time", insp_time(&c.logtimeFullBackup),
                         "incremental_backup_time", insp_time(&c.logtimeIncBackup),
                         "attached", insp_attach_list(c.rgattach, c.cattach), "copy", c.iCopy ? "B" : "A",
                         "copies_valid", c.fCopyAValid ? Py_True : Py_False, c.fCopyBValid ? Py_True : Py_False);
}

static PyObject *insp_backup_trailer(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *bytes = NULL;
    unsigned long cbPage;
    if (!PyArg_ParseTuple(args, "O&k:_inspect_backup_trailer", PyUnicode_FSConverter, &bytes, &cbPage))
        return NULL;
    ESEPY_INSPECT_TRAILER t = { .cbStruct = sizeof(t) };
    JET_ERR err;
    ESEPY_CALL(err = EsepyInspectBackupTrailer(PyBytes_AS_STRING(bytes), (uint32_t)cbPage, &t));
    Py_DECREF(bytes);
    if (err < 0)
        return raise_jet(err, "EsepyInspectBackupTrailer");
    return Py_BuildValue("{s:k,s:k,s:N,s:N,s:N,s:N}", "page_size", (unsigned long)t.cbPage, "pages",
                         (unsigned long)t.cpg, "db_signature", insp_sign(&t.signDb), "log_signature",
                         insp_sign(&t.signLog), "backup", insp_bkinfo(&t.bkinfo), "name", insp_str(t.szName));
}

/* ---- InspectDb: one open database file ------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    ESEPY_INSPECT_DB  *pdb;      /* NULL once closed */
    PyThread_type_lock lock;
    uint32_t           cbPage;
} InspectDbObject;

static void inspdb_lock(InspectDbObject *o)
{
    if (!PyThread_acquire_lock(o->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(o->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static int inspdb_init(InspectDbObject *self, PyObject *args, PyObject *kw)
{
    PyObject *bytes = NULL;
    static char *kwlist[] = { "path", NULL };
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&:InspectDb", kwlist, PyUnicode_FSConverter, &bytes))
        return -1;
    if (self->pdb != NULL || self->lock != NULL) {
        Py_DECREF(bytes);
        PyErr_SetString(PyExc_RuntimeError, "InspectDb is already open");
        return -1;
    }
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        Py_DECREF(bytes);
        PyErr_NoMemory();
        return -1;
    }
    JET_ERR err;
    ESEPY_INSPECT_DB *pdb = NULL;
    ESEPY_CALL(err = EsepyInspectDbOpen(PyBytes_AS_STRING(bytes), &pdb));
    Py_DECREF(bytes);
    if (err < 0) {
        raise_jet(err, "EsepyInspectDbOpen");
        return -1;
    }
    ESEPY_INSPECT_DBHEADER h = { .cbStruct = sizeof(h) };
    EsepyInspectDbHeader(pdb, &h);
    self->pdb = pdb;
    self->cbPage = h.cbPage;
    return 0;
}

static void inspdb_dealloc(InspectDbObject *self)
{
    EsepyInspectDbClose(self->pdb);
    self->pdb = NULL;
    if (self->lock)
        PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int inspdb_open_check(InspectDbObject *self)
{
    if (self->pdb == NULL) {
        raise_jet(JET_errInvalidParameter, "InspectDb is closed");
        return -1;
    }
    return 0;
}

static PyObject *inspdb_close(InspectDbObject *self, PyObject *unused)
{
    (void)unused;
    if (self->lock)
        inspdb_lock(self);
    EsepyInspectDbClose(self->pdb);
    self->pdb = NULL;
    if (self->lock)
        PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *inspdb_header(InspectDbObject *self, PyObject *unused)
{
    (void)unused;
    if (inspdb_open_check(self) < 0)
        return NULL;
    ESEPY_INSPECT_DBHEADER h = { .cbStruct = sizeof(h) };
    JET_ERR err = EsepyInspectDbHeader(self->pdb, &h);
    if (err < 0)
        return raise_jet(err, "EsepyInspectDbHeader");
    return insp_dbheader_dict(&h);
}

static PyObject *inspdb_size(InspectDbObject *self, PyObject *unused)
{
    (void)unused;
    if (inspdb_open_check(self) < 0)
        return NULL;
    uint64_t cb = 0;
    uint32_t cpg = 0;
    JET_ERR err = EsepyInspectDbSize(self->pdb, &cb, &cpg);
    if (err < 0)
        return raise_jet(err, "EsepyInspectDbSize");
    return Py_BuildValue("(Kk)", (unsigned long long)cb, (unsigned long)cpg);
}

/* read_page(pgno) -> (bytes, info dict) */
static PyObject *inspdb_read_page(InspectDbObject *self, PyObject *arg)
{
    unsigned long pgno = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred() || inspdb_open_check(self) < 0)
        return NULL;
    PyObject *page = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)self->cbPage);
    if (page == NULL)
        return NULL;
    ESEPY_INSPECT_PAGE p = { .cbStruct = sizeof(p) };
    JET_ERR err;
    inspdb_lock(self);
    ESEPY_CALL(err = EsepyInspectDbReadPage(self->pdb, (uint32_t)pgno, PyBytes_AS_STRING(page), self->cbPage, &p));
    PyThread_release_lock(self->lock);
    if (err < 0) {
        Py_DECREF(page);
        return raise_jet(err, "EsepyInspectDbReadPage");
    }
    return Py_BuildValue("(NN)", page, insp_page_dict(&p));
}

/* check_pages(first, count) -> bytes of ESEPY_INSPECT_PAGE_* statuses */
static PyObject *inspdb_check_pages(InspectDbObject *self, PyObject *args)
{
    unsigned long first, count;
    if (!PyArg_ParseTuple(args, "kk:check_pages", &first, &count) || inspdb_open_check(self) < 0)
        return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)count);
    if (out == NULL)
        return NULL;
    JET_ERR err;
    inspdb_lock(self);
    ESEPY_CALL(err = EsepyInspectDbCheckPages(self->pdb, (uint32_t)first, (uint32_t)count,
                                              (uint8_t *)PyBytes_AS_STRING(out)));
    PyThread_release_lock(self->lock);
    if (err < 0) {
        Py_DECREF(out);
        return raise_jet(err, "EsepyInspectDbCheckPages");
    }
    return out;
}

static PyMethodDef inspdb_methods[] = {
    {"close", (PyCFunction)inspdb_close, METH_NOARGS, "Close the file."},
    {"header", (PyCFunction)inspdb_header, METH_NOARGS, "The header as the engine read it (dict)."},
    {"size", (PyCFunction)inspdb_size, METH_NOARGS, "(file size in bytes, data pages present)."},
    {"read_page", (PyCFunction)inspdb_read_page, METH_O, "read_page(pgno) -> (bytes, info dict)."},
    {"check_pages", (PyCFunction)inspdb_check_pages, METH_VARARGS,
     "check_pages(first, count) -> bytes of page statuses (0 ok, 1 uninitialized, 2 checksum, 3 wrong pgno, "
     "4 missing)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject InspectDbType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.InspectDb",
    .tp_basicsize = sizeof(InspectDbObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "InspectDb(path): an esepy database file opened read-only for inspection (esepy_inspect.h).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)inspdb_init,
    .tp_dealloc = (destructor)inspdb_dealloc,
    .tp_methods = inspdb_methods,
};

static PyMethodDef inspect_functions[] = {
    {"_inspect_crc32c", insp_crc32c, METH_VARARGS, "_inspect_crc32c(data, crc=0): CRC-32C continuing from crc."},
    {"_inspect_db_header", insp_db_header, METH_O, "Header of an esepy database file (dict)."},
    {"_inspect_decode_db_header", insp_decode_db_header, METH_O, "Decode one database header copy (bytes)."},
    {"_inspect_page", insp_page, METH_VARARGS, "_inspect_page(bytes, pgno): a page image decoded (dict)."},
    {"_inspect_page_nodes", insp_page_nodes, METH_O, "Nodes (key, data, flags, child pgno) of a tree page image."},
    {"_inspect_catalog_row", insp_catalog_row, METH_VARARGS,
     "_inspect_catalog_row(key, data): (kind, table objid, objid, root, lv objid, lv root, name)."},
    {"_inspect_log_header", insp_log_header, METH_O, "Header of an esepy log file (dict)."},
    {"_inspect_decode_log_header", insp_decode_log_header, METH_O, "Decode a log header (bytes)."},
    {"_inspect_log_read", insp_log_read, METH_O, "(header, records, tail) of one log generation file."},
    {"_inspect_checkpoint", insp_checkpoint, METH_O, "An esepy checkpoint file (dict)."},
    {"_inspect_backup_trailer", insp_backup_trailer, METH_VARARGS,
     "_inspect_backup_trailer(path, page_size): the trailer of a database copy (dict)."},
    {NULL, NULL, 0, NULL},
};

/* Add the type and functions of this file to module m. */
static int inspect_register(PyObject *m)
{
    if (PyType_Ready(&InspectDbType) < 0)
        return -1;
    if (PyModule_AddFunctions(m, inspect_functions) < 0)
        return -1;
    Py_INCREF(&InspectDbType);
    if (PyModule_AddObject(m, "InspectDb", (PyObject *)&InspectDbType) < 0) {
        Py_DECREF(&InspectDbType);
        return -1;
    }
    return 0;
}
