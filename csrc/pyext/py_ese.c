/*
 * py_ese.c -- Python face of the forensic reader (esepy_ese.h): the types
 * EseFile and EseCursor and the functions for log, checkpoint and log-folder
 * headers.  Included by module.c; ese_register() adds them to the module.
 * This file holds what the types share (their structs, the file lock, the
 * struct-to-dict helpers) and the module functions; the types live in
 * py_ese_file.c (EseFile), py_ese_cursor.c (EseCursor) and py_ese_values.c
 * (stored values to Python objects), #included below.
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
    r |= ese_dset(d, "no_catalog", h->fNoCatalog < 0 ? Py_NewRef(Py_None) : PyBool_FromLong(h->fNoCatalog));
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

/* The types, one file each (included so that every symbol stays static). */
#include "py_ese_file.c"
#include "py_ese_values.c"
#include "py_ese_cursor.c"

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
