/*
 * py_ese.c -- Python face of the forensic reader (esepy_ese.h): the types
 * EseFile and EseCursor and the functions for log, checkpoint and log-folder
 * headers.  Included by module.c; ese_register() adds them to the module.
 *
 * Owns: converting C structs into dicts and stored values into Python
 * objects (ints, floats, str, bytes, lists for multi-values; DateTime comes
 * out as the float OLE date and GUID as 16 bytes, which esepy/ese.py turns
 * into datetime / uuid.UUID).  Values that cannot be decoded become objects
 * made by a Python factory (esepy.ese.Unsupported / Damaged), never garbage.
 * Must not touch: engine internals -- only the public esepy_ese.h API.
 *
 * Threads: an open file is not thread-safe in C, so every EseFile has a lock
 * that each call takes; the lock is always waited for without the GIL, and
 * the GIL is released around the calls that do I/O (open, moving a cursor,
 * reading long values, pages and log headers).
 */
#include <pythread.h>

#include "esepy_ese.h"

#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *ese_newref(PyObject *o)
{
    Py_INCREF(o);
    return o;
}
#define Py_NewRef ese_newref
#endif

typedef struct {
    PyObject_HEAD
    ESEPY_ESE_FILE    *pfile;     /* NULL once closed */
    PyThread_type_lock lock;
    uint32_t           ccursor;   /* live cursors */
    int                fClosing;  /* close() asked while cursors were alive */
    PyObject          *path;
} EseFileObject;

typedef struct {
    PyObject_HEAD
    EseFileObject    *file;      /* strong reference */
    ESEPY_ESE_CURSOR *pcursor;   /* NULL once closed */
    uint32_t          itable;
    uint32_t          ccolumn;
    uint32_t         *rgcoltyp, *rgcp, *rgmulti;
    PyObject         *factory;   /* callable(kind, err, scheme, raw) or None */
    uint8_t          *pb;        /* retrieval buffer */
    uint32_t          cb;
} EseCursorObject;

static PyTypeObject EseFileType;
static PyTypeObject EseCursorType;

static void ese_lock(EseFileObject *f)
{
    if (!PyThread_acquire_lock(f->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(f->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static void ese_unlock(EseFileObject *f) { PyThread_release_lock(f->lock); }

static int ese_check_open(EseFileObject *f)
{
    if (f->pfile == NULL || f->fClosing) {
        PyErr_SetString(PyExc_ValueError, "the ESE file is closed");
        return -1;
    }
    return 0;
}

/* ---- struct to dict helpers -------------------------------------------------------- */

static int ese_dset(PyObject *d, const char *key, PyObject *v)
{
    if (v == NULL)
        return -1;
    int r = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return r;
}

static PyObject *ese_time_tuple(const ESEPY_ESE_TIME *t)
{
    if (t->year == 0)
        Py_RETURN_NONE;
    return Py_BuildValue("(iiiiiiii)", t->year, t->month, t->day, t->hour, t->minute, t->second, t->millisecond,
                         t->fUTC);
}

static PyObject *ese_lgpos_tuple(const ESEPY_ESE_LGPOS *l)
{
    return Py_BuildValue("(iii)", (int)l->lGeneration, (int)l->isec, (int)l->ib);
}

static PyObject *ese_sign_dict(const ESEPY_ESE_SIGNATURE *s)
{
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    if (ese_dset(d, "random", PyLong_FromUnsignedLong(s->ulRandom)) < 0 ||
        ese_dset(d, "created", ese_time_tuple(&s->logtimeCreate)) < 0 ||
        ese_dset(d, "computer_name", PyUnicode_FromString(s->szComputerName)) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *ese_bkinfo_dict(const ESEPY_ESE_BKINFO *b)
{
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    if (ese_dset(d, "lgpos", ese_lgpos_tuple(&b->lgposMark)) < 0 || ese_dset(d, "time", ese_time_tuple(&b->logtimeMark)) < 0 ||
        ese_dset(d, "gen_low", PyLong_FromLong(b->genLow)) < 0 || ese_dset(d, "gen_high", PyLong_FromLong(b->genHigh)) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

#define U(x) PyLong_FromUnsignedLong((unsigned long)(x))
#define I(x) PyLong_FromLong((long)(x))
#define ULL(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))

static PyObject *ese_header_dict(const ESEPY_ESE_HEADER *h)
{
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int r = 0;
    r |= ese_dset(d, "checksum_primary", U(h->ulChecksumPrimary));
    r |= ese_dset(d, "checksum_primary_computed", U(h->ulChecksumPrimaryComputed));
    r |= ese_dset(d, "checksum_shadow", U(h->ulChecksumShadow));
    r |= ese_dset(d, "checksum_shadow_computed", U(h->ulChecksumShadowComputed));
    r |= ese_dset(d, "primary_valid", PyBool_FromLong(h->fPrimaryValid));
    r |= ese_dset(d, "shadow_valid", PyBool_FromLong(h->fShadowValid));
    r |= ese_dset(d, "copies_identical", PyBool_FromLong(h->fCopiesIdentical));
    r |= ese_dset(d, "copy_used", PyUnicode_FromString(h->iCopyUsed ? "shadow" : "primary"));
    r |= ese_dset(d, "magic", U(h->ulMagic));
    r |= ese_dset(d, "format_version", U(h->ulVersion));
    r |= ese_dset(d, "format_revision", U(h->ulUpdateMajor));
    r |= ese_dset(d, "format_update_minor", U(h->ulUpdateMinor));
    r |= ese_dset(d, "create_version", U(h->ulCreateVersion));
    r |= ese_dset(d, "create_update", U(h->ulCreateUpdate));
    r |= ese_dset(d, "file_type", U(h->filetype));
    r |= ese_dset(d, "attrib", I(h->attrib));
    r |= ese_dset(d, "dbtime_dirtied", ULL(h->dbtimeDirtied));
    r |= ese_dset(d, "sign_db", ese_sign_dict(&h->signDb));
    r |= ese_dset(d, "sign_log", ese_sign_dict(&h->signLog));
    r |= ese_dset(d, "dbstate", U(h->dbstate));
    r |= ese_dset(d, "dirty", PyBool_FromLong(h->fDirty));
    r |= ese_dset(d, "lgpos_consistent", ese_lgpos_tuple(&h->lgposConsistent));
    r |= ese_dset(d, "lgpos_attach", ese_lgpos_tuple(&h->lgposAttach));
    r |= ese_dset(d, "lgpos_detach", ese_lgpos_tuple(&h->lgposDetach));
    r |= ese_dset(d, "lgpos_last_resize", ese_lgpos_tuple(&h->lgposLastResize));
    r |= ese_dset(d, "lgpos_last_reattach", ese_lgpos_tuple(&h->lgposLastReAttach));
    r |= ese_dset(d, "time_consistent", ese_time_tuple(&h->logtimeConsistent));
    r |= ese_dset(d, "time_attach", ese_time_tuple(&h->logtimeAttach));
    r |= ese_dset(d, "time_detach", ese_time_tuple(&h->logtimeDetach));
    r |= ese_dset(d, "time_repair", ese_time_tuple(&h->logtimeRepair));
    r |= ese_dset(d, "time_gen_max_create", ese_time_tuple(&h->logtimeGenMaxCreate));
    r |= ese_dset(d, "time_gen_max_required", ese_time_tuple(&h->logtimeGenMaxRequired));
    r |= ese_dset(d, "time_last_reattach", ese_time_tuple(&h->logtimeLastReAttach));
    r |= ese_dset(d, "dbid", U(h->dbid));
    r |= ese_dset(d, "db_flags", U(h->ulDbFlags));
    r |= ese_dset(d, "objid_last", U(h->objidLast));
    r |= ese_dset(d, "os_version", Py_BuildValue("(kkkl)", (unsigned long)h->dwMajorVersion,
                                             (unsigned long)h->dwMinorVersion, (unsigned long)h->dwBuildNumber,
                                             (long)h->lSPNumber));
    r |= ese_dset(d, "page_size_field", U(h->cbPageSizeField));
    r |= ese_dset(d, "page_size", U(h->cbPage));
    r |= ese_dset(d, "repair_count", U(h->ulRepairCount));
    r |= ese_dset(d, "gen_min_required", I(h->lGenMinRequired));
    r |= ese_dset(d, "gen_max_required", I(h->lGenMaxRequired));
    r |= ese_dset(d, "gen_max_committed", I(h->lGenMaxCommitted));
    r |= ese_dset(d, "gen_min_consistent", I(h->lGenMinConsistent));
    r |= ese_dset(d, "gen_recovering", I(h->lGenRecovering));
    r |= ese_dset(d, "backup_full_prev", ese_bkinfo_dict(&h->bkinfoFullPrev));
    r |= ese_dset(d, "backup_inc_prev", ese_bkinfo_dict(&h->bkinfoIncPrev));
    r |= ese_dset(d, "backup_full_cur", ese_bkinfo_dict(&h->bkinfoFullCur));
    r |= ese_dset(d, "backup_snapshot_cur", ese_bkinfo_dict(&h->bkinfoSnapshotCur));
    r |= ese_dset(d, "backup_copy_prev", ese_bkinfo_dict(&h->bkinfoCopyPrev));
    r |= ese_dset(d, "backup_diff_prev", ese_bkinfo_dict(&h->bkinfoDiffPrev));
    r |= ese_dset(d, "ecc_fix_success", U(h->ulECCFixSuccess));
    r |= ese_dset(d, "ecc_fix_fail", U(h->ulECCFixFail));
    r |= ese_dset(d, "bad_checksum", U(h->ulBadChecksum));
    r |= ese_dset(d, "efv_max_bin_attach", U(h->efvMaxBinAttachDiagnostic));
    r |= ese_dset(d, "file_size", ULL(h->cbFile));
    r |= ese_dset(d, "page_count", U(h->cpgData));
    r |= ese_dset(d, "pages_owned", U(h->cpgOwned));
    if (r) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *ese_attach_list(const ESEPY_ESE_ATTACHINFO *rg, uint32_t c)
{
    PyObject *l = PyList_New(0);
    if (l == NULL)
        return NULL;
    for (uint32_t i = 0; i < c; i++) {
        const ESEPY_ESE_ATTACHINFO *a = &rg[i];
        PyObject *d = PyDict_New();
        if (d == NULL || ese_dset(d, "dbid", U(a->dbid)) < 0 || ese_dset(d, "flags", U(a->fFlags)) < 0 ||
            ese_dset(d, "dbtime", ULL(a->dbtime)) < 0 || ese_dset(d, "objid_last", U(a->objidLast)) < 0 ||
            ese_dset(d, "max_pages", U(a->cpgDatabaseSizeMax)) < 0 ||
            ese_dset(d, "lgpos_attach", ese_lgpos_tuple(&a->lgposAttach)) < 0 ||
            ese_dset(d, "lgpos_consistent", ese_lgpos_tuple(&a->lgposConsistent)) < 0 ||
            ese_dset(d, "sign_db", ese_sign_dict(&a->signDb)) < 0 ||
            ese_dset(d, "name", PyUnicode_DecodeUTF8(a->szName, (Py_ssize_t)strlen(a->szName), "replace")) < 0 ||
            PyList_Append(l, d) < 0) {
            Py_XDECREF(d);
            Py_DECREF(l);
            return NULL;
        }
        Py_DECREF(d);
    }
    return l;
}

/* ---- EseFile -------------------------------------------------------------------- */

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
                PyObject *t = Py_BuildValue("(kO)", (unsigned long)xi.rgcolumnid[k],
                                            xi.rgfDescending[k] ? Py_True : Py_False);
                if (t == NULL || PyList_Append(keycols, t) < 0)
                    Py_CLEAR(keycols);
                Py_XDECREF(t);
            }
            PyObject *xd = PyDict_New();
            if (xd == NULL || keycols == NULL ||
                ese_dset(xd, "name", PyUnicode_DecodeLatin1(xi.szName, (Py_ssize_t)strlen(xi.szName), NULL)) < 0 ||
                ese_dset(xd, "objid", U(xi.objid)) < 0 || ese_dset(xd, "pgno_fdp", U(xi.pgnoFDP)) < 0 ||
                ese_dset(xd, "flags", U(xi.grbit)) < 0 || ese_dset(xd, "lcid", U(xi.lcid)) < 0 ||
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

static PyObject *esefile_cursor(EseFileObject *self, PyObject *args)
{
    unsigned long itable;
    PyObject *factory = Py_None;
    int fDeleted = 0;
    if (!PyArg_ParseTuple(args, "k|Op:cursor", &itable, &factory, &fDeleted) || ese_check_open(self) < 0)
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
    if (err >= 0)
        ESEPY_CALL(err = EsepyEseCursorOpen(self->pfile, (uint32_t)itable,
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
    {"damage", (PyCFunction)esefile_damage, METH_NOARGS, "Damage met so far: list of dicts."},
    {"cursor", (PyCFunction)esefile_cursor, METH_VARARGS,
     "cursor(itable, factory=None, deleted=False) -> EseCursor over the records of table itable\n"
     "(deleted=True also returns nodes flagged deleted)."},
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

/* ---- EseCursor -------------------------------------------------------------------- */

static void esecursor_release(EseCursorObject *c)
{
    if (c->pcursor != NULL) {
        ese_lock(c->file);
        EsepyEseCursorClose(c->pcursor);
        c->pcursor = NULL;
        if (--c->file->ccursor == 0 && c->file->fClosing) {
            EsepyEseClose(c->file->pfile);
            c->file->pfile = NULL;
        }
        ese_unlock(c->file);
    }
}

static void esecursor_dealloc(EseCursorObject *c)
{
    if (c->file != NULL) {
        esecursor_release(c);
        Py_DECREF(c->file);
    }
    PyMem_Free(c->rgcoltyp);
    PyMem_Free(c->rgcp);
    PyMem_Free(c->rgmulti);
    PyMem_Free(c->pb);
    Py_XDECREF(c->factory);
    PyObject_Free(c);
}

static PyObject *esecursor_close(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (c->file != NULL)
        esecursor_release(c);
    Py_RETURN_NONE;
}

static int esecursor_check(EseCursorObject *c)
{
    if (c->pcursor == NULL) {
        PyErr_SetString(PyExc_ValueError, "the cursor is closed");
        return -1;
    }
    return 0;
}

static PyObject *ese_special(EseCursorObject *c, const char *kind, JET_ERR err, uint32_t info, const uint8_t *pb, uint32_t cb)
{
    if (c->factory == Py_None)
        return raise_jet(err, "EsepyEseCursorRetrieve");
    PyObject *raw = pb ? PyBytes_FromStringAndSize((const char *)pb, cb) : Py_NewRef(Py_None);
    if (raw == NULL)
        return NULL;
    PyObject *r = PyObject_CallFunction(c->factory, "siIO", kind, (int)err,
                                        (unsigned int)((info >> ESEPY_ESE_VALUE_SCHEME_SHIFT) & 0xFF), raw);
    Py_DECREF(raw);
    return r;
}

static PyObject *ese_decode_text(const uint8_t *pb, uint32_t cb, uint32_t cp)
{
    PyObject *s;
    if (cp == 1200) {
        /* UTF-16LE; an odd final byte (fixed columns of odd size) is the low
         * byte of a last character whose high byte was cut off */
        int order = -1;
        uint8_t rgbPad[2];
        uint32_t cbEven = cb & ~1u;
        int fOdd = (cb & 1u) && !(pb[cb - 1] == 0);
        while (!fOdd && cbEven >= 2 && pb[cbEven - 1] == 0 && pb[cbEven - 2] == 0)
            cbEven -= 2; /* trailing NULs */
        s = PyUnicode_DecodeUTF16((const char *)pb, (Py_ssize_t)cbEven, "backslashreplace", &order);
        if (s != NULL && fOdd) {
            rgbPad[0] = pb[cb - 1];
            rgbPad[1] = 0;
            order = -1;
            PyObject *tail = PyUnicode_DecodeUTF16((const char *)rgbPad, 2, "backslashreplace", &order);
            PyObject *t = tail ? PyUnicode_Concat(s, tail) : NULL;
            Py_XDECREF(tail);
            Py_DECREF(s);
            s = t;
        }
        return s;
    }
    while (cb > 0 && pb[cb - 1] == 0)
        cb--;
    if (cp == 20127)
        return PyUnicode_DecodeASCII((const char *)pb, (Py_ssize_t)cb, "backslashreplace");
    return PyUnicode_Decode((const char *)pb, (Py_ssize_t)cb, "cp1252", "backslashreplace");
}

/* Convert one stored value to Python by column type. */
static PyObject *ese_convert(EseCursorObject *c, uint32_t ic, const uint8_t *pb, uint32_t cb)
{
    uint32_t coltyp = c->rgcoltyp[ic];
    uint32_t cbWant = 0;
    switch (coltyp) {
    case JET_coltypBit: case JET_coltypUnsignedByte: cbWant = 1; break;
    case JET_coltypShort: case JET_coltypUnsignedShort: cbWant = 2; break;
    case JET_coltypLong: case JET_coltypUnsignedLong: case JET_coltypIEEESingle: cbWant = 4; break;
    case JET_coltypCurrency: case JET_coltypIEEEDouble: case JET_coltypDateTime:
    case JET_coltypLongLong: case JET_coltypUnsignedLongLong: cbWant = 8; break;
    case JET_coltypGUID: cbWant = 16; break;
    default: break;
    }
    if (cbWant && cb != cbWant)
        return ese_special(c, "damaged", JET_errDatabaseCorrupted, 0, pb, cb);
    uint64_t u = 0;
    for (uint32_t i = 0; i < cbWant && i < 8; i++)
        u |= (uint64_t)pb[i] << (8 * i);
    switch (coltyp) {
    case JET_coltypBit: return PyBool_FromLong(pb[0] != 0);
    case JET_coltypUnsignedByte: return PyLong_FromUnsignedLong(pb[0]);
    case JET_coltypShort: return PyLong_FromLong((int16_t)u);
    case JET_coltypUnsignedShort: return PyLong_FromUnsignedLong((uint16_t)u);
    case JET_coltypLong: return PyLong_FromLong((int32_t)u);
    case JET_coltypUnsignedLong: return PyLong_FromUnsignedLong((uint32_t)u);
    case JET_coltypCurrency: case JET_coltypLongLong: return PyLong_FromLongLong((int64_t)u);
    case JET_coltypUnsignedLongLong: return PyLong_FromUnsignedLongLong(u);
    case JET_coltypIEEESingle: {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, 4);
        return PyFloat_FromDouble(f);
    }
    case JET_coltypIEEEDouble: case JET_coltypDateTime: {
        double d;
        memcpy(&d, &u, 8);
        return PyFloat_FromDouble(d);
    }
    case JET_coltypText: case JET_coltypLongText: return ese_decode_text(pb, cb, c->rgcp[ic]);
    default: return PyBytes_FromStringAndSize((const char *)pb, cb);
    }
}

/* Retrieve value ivalue of column ic into the cursor buffer (growing it).
 * Returns the JET result; *pcb the size. */
static JET_ERR ese_fetch(EseCursorObject *c, uint32_t ic, uint32_t ivalue, uint32_t grbit, uint32_t *pcb, uint32_t *pinfo)
{
    int fLong = c->rgcoltyp[ic] == JET_coltypLongBinary || c->rgcoltyp[ic] == JET_coltypLongText;
    for (;;) {
        JET_ERR err;
        if (fLong)
            ESEPY_CALL(err = EsepyEseCursorRetrieve(c->pcursor, ic, ivalue, grbit, c->pb, c->cb, pcb, pinfo));
        else
            err = EsepyEseCursorRetrieve(c->pcursor, ic, ivalue, grbit, c->pb, c->cb, pcb, pinfo);
        if (err != JET_wrnBufferTruncated || *pcb <= c->cb)
            return err;
        uint8_t *pb = PyMem_Realloc(c->pb, *pcb);
        if (pb == NULL)
            return JET_errOutOfMemory;
        c->pb = pb;
        c->cb = *pcb;
    }
}

static PyObject *ese_value_object(EseCursorObject *c, uint32_t ic, uint32_t ivalue)
{
    uint32_t cb = 0, info = 0;
    JET_ERR err = ese_fetch(c, ic, ivalue, 0, &cb, &info);
    if (err == JET_wrnColumnNull)
        Py_RETURN_NONE;
    if (err == JET_errOutOfMemory)
        return PyErr_NoMemory();
    if (err < 0) {
        /* keep the stored bytes with the marker */
        uint32_t cbRaw = 0, infoRaw = 0;
        JET_ERR errRaw = EsepyEseCursorRetrieve(c->pcursor, ic, ivalue, ESEPY_ESE_RETRIEVE_RAW, c->pb, c->cb, &cbRaw, &infoRaw);
        const uint8_t *pbRaw = errRaw >= 0 && cbRaw <= c->cb ? c->pb : NULL;
        return ese_special(c, err == JET_errFeatureNotAvailable ? "unsupported" : "damaged", err, info, pbRaw, cbRaw);
    }
    return ese_convert(c, ic, c->pb, cb);
}

static PyObject *ese_column_object(EseCursorObject *c, uint32_t ic)
{
    uint32_t cvalue = 0;
    JET_ERR err = EsepyEseCursorValueCount(c->pcursor, ic, &cvalue);
    if (err < 0)
        return ese_special(c, "damaged", err, 0, NULL, 0);
    if (cvalue == 0)
        Py_RETURN_NONE;
    if (cvalue == 1 && !c->rgmulti[ic])
        return ese_value_object(c, ic, 1);
    PyObject *l = PyList_New(cvalue);
    if (l == NULL)
        return NULL;
    for (uint32_t iv = 0; iv < cvalue; iv++) {
        PyObject *v = ese_value_object(c, ic, iv + 1);
        if (v == NULL) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, iv, v);
    }
    return l;
}

static PyObject *esecursor_next_row(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseCursorNext(c->pcursor));
    PyObject *row = NULL;
    if (err == JET_errNoCurrentRecord) {
        row = Py_NewRef(Py_None);
    } else if (err < 0) {
        raise_jet(err, "EsepyEseCursorNext");
    } else {
        row = PyTuple_New(c->ccolumn);
        for (uint32_t ic = 0; row && ic < c->ccolumn; ic++) {
            PyObject *v = ese_column_object(c, ic);
            if (v == NULL)
                Py_CLEAR(row);
            else
                PyTuple_SET_ITEM(row, ic, v);
        }
    }
    ese_unlock(c->file);
    return row;
}

static PyObject *esecursor_next(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    JET_ERR err;
    ESEPY_CALL(err = EsepyEseCursorNext(c->pcursor));
    ese_unlock(c->file);
    if (err == JET_errNoCurrentRecord)
        Py_RETURN_FALSE;
    if (err < 0)
        return raise_jet(err, "EsepyEseCursorNext");
    Py_RETURN_TRUE;
}

static PyObject *esecursor_column(EseCursorObject *c, PyObject *arg)
{
    unsigned long ic = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred() || esecursor_check(c) < 0)
        return NULL;
    if (ic >= c->ccolumn) {
        PyErr_SetString(PyExc_IndexError, "column position out of range");
        return NULL;
    }
    ese_lock(c->file);
    PyObject *r = ese_column_object(c, (uint32_t)ic);
    ese_unlock(c->file);
    return r;
}

static PyObject *esecursor_raw_value(EseCursorObject *c, PyObject *args)
{
    unsigned long ic, iv = 1;
    int fRaw = 1;
    if (!PyArg_ParseTuple(args, "k|kp:raw_value", &ic, &iv, &fRaw) || esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    uint32_t cb = 0, info = 0;
    JET_ERR err = ese_fetch(c, (uint32_t)ic, (uint32_t)iv, fRaw ? ESEPY_ESE_RETRIEVE_RAW : 0, &cb, &info);
    PyObject *r;
    if (err == JET_wrnColumnNull)
        r = Py_NewRef(Py_None);
    else if (err < 0)
        r = raise_jet(err, "EsepyEseCursorRetrieve");
    else
        r = Py_BuildValue("(y#k)", (const char *)c->pb, (Py_ssize_t)cb, (unsigned long)info);
    ese_unlock(c->file);
    return r;
}

static PyObject *esecursor_record_info(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    ESEPY_ESE_RECORDINFO ri;
    JET_ERR err = EsepyEseCursorGetRecordInfo(c->pcursor, &ri);
    PyObject *d = NULL;
    if (err < 0) {
        raise_jet(err, "EsepyEseCursorGetRecordInfo");
    } else {
        d = PyDict_New();
        if (d == NULL || ese_dset(d, "pgno", U(ri.pgno)) < 0 || ese_dset(d, "itag", U(ri.itag)) < 0 ||
            ese_dset(d, "node_flags", U(ri.fNodeFlags)) < 0 ||
            ese_dset(d, "key", PyBytes_FromStringAndSize((const char *)ri.pbKey, ri.cbKey)) < 0 ||
            ese_dset(d, "record", PyBytes_FromStringAndSize((const char *)ri.pbRecord, ri.cbRecord)) < 0 ||
            ese_dset(d, "last_fixed", U(ri.fidFixedLast)) < 0 || ese_dset(d, "last_variable", U(ri.fidVarLast)) < 0 ||
            ese_dset(d, "tagged_count", U(ri.ctagged)) < 0)
            Py_CLEAR(d);
    }
    ese_unlock(c->file);
    return d;
}

static PyObject *esecursor_tagged(EseCursorObject *c, PyObject *unused)
{
    (void)unused;
    if (esecursor_check(c) < 0)
        return NULL;
    ese_lock(c->file);
    ESEPY_ESE_RECORDINFO ri;
    JET_ERR err = EsepyEseCursorGetRecordInfo(c->pcursor, &ri);
    PyObject *l = err < 0 ? raise_jet(err, "EsepyEseCursorGetRecordInfo") : PyList_New(0);
    for (uint32_t i = 0; l && i < ri.ctagged; i++) {
        uint32_t columnid = 0, fFlags = 0, cb = 0;
        const uint8_t *pb = NULL;
        err = EsepyEseCursorGetTagged(c->pcursor, i, &columnid, &fFlags, &pb, &cb);
        PyObject *t = err < 0 ? Py_BuildValue("(kkO)", (unsigned long)columnid, 0ul, Py_None)
                              : Py_BuildValue("(kky#)", (unsigned long)columnid, (unsigned long)fFlags,
                                              (const char *)pb, (Py_ssize_t)cb);
        if (t == NULL || PyList_Append(l, t) < 0)
            Py_CLEAR(l);
        Py_XDECREF(t);
    }
    ese_unlock(c->file);
    return l;
}

static PyMethodDef esecursor_methods[] = {
    {"close", (PyCFunction)esecursor_close, METH_NOARGS, "Close the cursor."},
    {"next_row", (PyCFunction)esecursor_next_row, METH_NOARGS,
     "Move to the next record and return its values as a tuple (None after the last)."},
    {"next", (PyCFunction)esecursor_next, METH_NOARGS, "Move to the next record; False after the last."},
    {"column", (PyCFunction)esecursor_column, METH_O, "column(i) -> value(s) of column i of the current record."},
    {"raw_value", (PyCFunction)esecursor_raw_value, METH_VARARGS,
     "raw_value(i, ivalue=1, raw=True) -> (bytes, info) or None: stored (raw) or decoded bytes."},
    {"record_info", (PyCFunction)esecursor_record_info, METH_NOARGS,
     "Location, key and raw bytes of the current record."},
    {"tagged", (PyCFunction)esecursor_tagged, METH_NOARGS,
     "Raw tagged fields of the current record: list of (columnid, flags, bytes)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EseCursorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "esepy._esepy.EseCursor",
    .tp_basicsize = sizeof(EseCursorObject),
    .tp_dealloc = (destructor)esecursor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A record cursor over one table of an EseFile (create with EseFile.cursor).",
    .tp_methods = esecursor_methods,
};

/* ---- module functions: logs, checkpoints, folders ------------------------------- */

static PyObject *ese_read_log_header(PyObject *mod, PyObject *arg)
{
    (void)mod;
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    ESEPY_ESE_LOGHEADER *h = PyMem_Malloc(sizeof(*h));
    if (h == NULL) {
        Py_DECREF(path);
        return PyErr_NoMemory();
    }
    JET_ERR err;
    const char *sz = PyBytes_AS_STRING(path);
    ESEPY_CALL(err = EsepyEseReadLogHeader(sz, h));
    Py_DECREF(path);
    PyObject *d = NULL;
    if (err < 0 && err != JET_errLogFileCorrupt) {
        raise_jet(err, "EsepyEseReadLogHeader");
    } else {
        d = PyDict_New();
        int r = d ? 0 : -1;
        if (r == 0) {
            r |= ese_dset(d, "checksum", U(h->ulChecksum));
            r |= ese_dset(d, "checksum_computed", U(h->ulChecksumComputed));
            r |= ese_dset(d, "checksum_ok", PyBool_FromLong(h->fChecksumValid));
            r |= ese_dset(d, "generation", I(h->lGeneration));
            r |= ese_dset(d, "sector_size", U(h->cbSec));
            r |= ese_dset(d, "header_sectors", U(h->csecHeader));
            r |= ese_dset(d, "file_sectors", U(h->csecLGFile));
            r |= ese_dset(d, "page_size", U(h->cbPageSize));
            r |= ese_dset(d, "created", ese_time_tuple(&h->tmCreate));
            r |= ese_dset(d, "previous_generation_created", ese_time_tuple(&h->tmPrevGen));
            r |= ese_dset(d, "version", Py_BuildValue("(kkkk)", (unsigned long)h->ulMajor, (unsigned long)h->ulMinor,
                                                  (unsigned long)h->ulUpdateMajor, (unsigned long)h->ulUpdateMinor));
            r |= ese_dset(d, "sign_log", ese_sign_dict(&h->signLog));
            r |= ese_dset(d, "flags", U(h->fLGFlags));
            r |= ese_dset(d, "lgpos_checkpoint", ese_lgpos_tuple(&h->lgposCheckpoint));
            r |= ese_dset(d, "checksum_prev_log_all_segments", ULL(h->checksumPrevLogAllSegments));
            r |= ese_dset(d, "engine_format_version", U(h->efvEngine));
            r |= ese_dset(d, "file_type", U(h->filetype));
            r |= ese_dset(d, "file_size", ULL(h->cbFile));
            r |= ese_dset(d, "attached", ese_attach_list(h->rgattach, h->cattach));
        }
        if (r)
            Py_CLEAR(d);
    }
    PyMem_Free(h);
    return d;
}

static PyObject *ese_read_checkpoint(PyObject *mod, PyObject *arg)
{
    (void)mod;
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    ESEPY_ESE_CHECKPOINT *h = PyMem_Malloc(sizeof(*h));
    if (h == NULL) {
        Py_DECREF(path);
        return PyErr_NoMemory();
    }
    JET_ERR err;
    const char *sz = PyBytes_AS_STRING(path);
    ESEPY_CALL(err = EsepyEseReadCheckpoint(sz, h));
    Py_DECREF(path);
    PyObject *d = NULL;
    if (err < 0) {
        raise_jet(err, "EsepyEseReadCheckpoint");
    } else {
        d = PyDict_New();
        int r = d ? 0 : -1;
        if (r == 0) {
            r |= ese_dset(d, "copies_valid", Py_BuildValue("(OO)", h->fValid[0] ? Py_True : Py_False,
                                                       h->fValid[1] ? Py_True : Py_False));
            r |= ese_dset(d, "copy_used", PyUnicode_FromString(h->iCopyUsed ? "shadow" : "primary"));
            r |= ese_dset(d, "lgpos_checkpoint", ese_lgpos_tuple(&h->lgposCheckpoint));
            r |= ese_dset(d, "lgpos_last_full_backup_checkpoint", ese_lgpos_tuple(&h->lgposLastFullBackupCheckpoint));
            r |= ese_dset(d, "lgpos_db_consistency", ese_lgpos_tuple(&h->lgposDbConsistency));
            r |= ese_dset(d, "sign_log", ese_sign_dict(&h->signLog));
            r |= ese_dset(d, "version_flags", U(h->fVersion));
            r |= ese_dset(d, "file_type", U(h->filetype));
            r |= ese_dset(d, "attached", ese_attach_list(h->rgattach, h->cattach));
        }
        if (r)
            Py_CLEAR(d);
    }
    PyMem_Free(h);
    return d;
}

static PyObject *ese_scan_log_folder(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *path = NULL;
    const char *szBase = NULL;
    if (!PyArg_ParseTuple(args, "O&|z:scan_log_folder", PyUnicode_FSConverter, &path, &szBase))
        return NULL;
    uint32_t cMax = 4096, c = 0;
    ESEPY_ESE_LOGFILEINFO *rg = PyMem_Calloc(cMax, sizeof(*rg));
    if (rg == NULL) {
        Py_DECREF(path);
        return PyErr_NoMemory();
    }
    JET_ERR err;
    const char *sz = PyBytes_AS_STRING(path);
    ESEPY_CALL(err = EsepyEseScanLogFolder(sz, szBase, rg, cMax, &c));
    Py_DECREF(path);
    PyObject *l = err < 0 ? raise_jet(err, "EsepyEseScanLogFolder") : PyList_New(0);
    static const char *const rgszRole[] = {"?", "archived", "current", "tmp", "reserve"};
    for (uint32_t i = 0; l && i < c && i < cMax; i++) {
        const ESEPY_ESE_LOGFILEINFO *p = &rg[i];
        PyObject *d = PyDict_New();
        if (d == NULL ||
            ese_dset(d, "file", PyUnicode_DecodeFSDefault(p->szFile)) < 0 ||
            ese_dset(d, "role", PyUnicode_FromString(p->role >= 1 && p->role <= 4 ? rgszRole[p->role] : "?")) < 0 ||
            ese_dset(d, "error", I(p->errHeader)) < 0 || ese_dset(d, "generation", I(p->lGeneration)) < 0 ||
            ese_dset(d, "generation_from_name", I(p->lGenerationFromName)) < 0 ||
            ese_dset(d, "created", ese_time_tuple(&p->tmCreate)) < 0 ||
            ese_dset(d, "previous_generation_created", ese_time_tuple(&p->tmPrevGen)) < 0 ||
            ese_dset(d, "sign_random", U(p->ulSignRandom)) < 0 ||
            ese_dset(d, "signature_matches", PyBool_FromLong(p->fSignMatches)) < 0 ||
            ese_dset(d, "linked_to_previous", p->fPrevGenLinked < 0 ? Py_NewRef(Py_None) : PyBool_FromLong(p->fPrevGenLinked)) < 0 ||
            ese_dset(d, "name_matches", PyBool_FromLong(p->fNameMatches)) < 0 || PyList_Append(l, d) < 0)
            Py_CLEAR(l);
        Py_XDECREF(d);
    }
    PyMem_Free(rg);
    return l;
}

static PyObject *ese_decompress(PyObject *mod, PyObject *arg)
{
    (void)mod;
    Py_buffer in;
    if (PyObject_GetBuffer(arg, &in, PyBUF_SIMPLE) < 0)
        return NULL;
    uint32_t cb = 0;
    JET_ERR err = in.len > 0xFFFFFFFF ? JET_errInvalidParameter : EsepyEseDecompress(in.buf, (uint32_t)in.len, NULL, 0, &cb);
    PyObject *out = NULL;
    if (err >= 0) {
        out = PyBytes_FromStringAndSize(NULL, cb);
        if (out != NULL) {
            err = EsepyEseDecompress(in.buf, (uint32_t)in.len, PyBytes_AS_STRING(out), cb, &cb);
            if (err < 0)
                Py_CLEAR(out);
        }
    }
    PyBuffer_Release(&in);
    if (err < 0 && !PyErr_Occurred())
        return raise_jet(err, "EsepyEseDecompress");
    return out;
}

static PyMethodDef ese_functions[] = {
    {"_ese_read_log_header", ese_read_log_header, METH_O, "Header of an ESE log file as a dict."},
    {"_ese_read_checkpoint", ese_read_checkpoint, METH_O, "Header of an ESE checkpoint file as a dict."},
    {"_ese_scan_log_folder", ese_scan_log_folder, METH_VARARGS, "Survey the log files of a folder."},
    {"_ese_decompress", ese_decompress, METH_O, "Decompress an ESE compressed value (7-bit or XPRESS)."},
    {NULL, NULL, 0, NULL},
};

/* Add the types and functions of this file to module m. */
static int ese_register(PyObject *m)
{
    if (PyType_Ready(&EseFileType) < 0 || PyType_Ready(&EseCursorType) < 0)
        return -1;
    if (PyModule_AddFunctions(m, ese_functions) < 0)
        return -1;
    Py_INCREF(&EseFileType);
    if (PyModule_AddObject(m, "EseFile", (PyObject *)&EseFileType) < 0) {
        Py_DECREF(&EseFileType);
        return -1;
    }
    Py_INCREF(&EseCursorType);
    if (PyModule_AddObject(m, "EseCursor", (PyObject *)&EseCursorType) < 0) {
        Py_DECREF(&EseCursorType);
        return -1;
    }
    return 0;
}
