/*
 * wchar.c -- ESENT's W (UTF-16) entry points.  Each converts its WCHAR
 * strings (JET_WCHAR, UTF-16LE code units) to UTF-8 at the API edge, calls
 * the A function, and converts string results back.
 *
 * Owns: the UTF-16 <-> UTF-8 conversion (surrogate pairs joined; an unpaired
 * surrogate in an argument is JET_errInvalidParameter) and the W wrappers.
 * Must not touch: anything behind the A functions; no engine state.
 */
#include "api_int.h"

#include <stddef.h>
#include <string.h>

/* ---- conversion ---------------------------------------------------------------- */

/* n UTF-16 code units (NULs allowed) -> UTF-8 in out (room for 3 * n + 1
 * bytes; a code unit is at most 3 bytes, a surrogate pair 4 for 2 units).
 * *pcb gets the bytes written (a NUL is added after them, not counted). */
static JET_ERR w_to_utf8_n(const JET_WCHAR *w, size_t n, char *out, size_t *pcb)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = w[i];
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 >= n || w[i + 1] < 0xDC00 || w[i + 1] > 0xDFFF)
                return JET_errInvalidParameter;
            c = 0x10000 + ((c - 0xD800) << 10) + (w[++i] - 0xDC00u);
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return JET_errInvalidParameter;
        }
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xE0 | (c >> 12));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (c >> 18));
            out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = '\0';
    *pcb = o;
    return JET_errSuccess;
}

/* UTF-16 string -> newly allocated UTF-8 (NULL stays NULL). */
static JET_ERR w_to_utf8(const JET_WCHAR *w, char **pout)
{
    *pout = NULL;
    if (w == NULL)
        return JET_errSuccess;
    size_t n = 0, cb;
    while (w[n])
        n++;
    char *out = os_malloc(n * 3 + 1);
    if (out == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = w_to_utf8_n(w, n, out, &cb);
    if (err < 0) {
        os_free(out);
        return err;
    }
    *pout = out;
    return JET_errSuccess;
}

/* UTF-8 bytes [s, s+cb) -> UTF-16 code units in out (room for cchMax; NULL
 * to count).  Returns the number of code units, or -1 for malformed UTF-8
 * (the engine's strings are valid UTF-8; a malformed one is a bug). */
static int64_t utf8_to_w(const char *s, size_t cb, JET_WCHAR *out, size_t cchMax)
{
    size_t o = 0;
    const uint8_t *p = (const uint8_t *)s, *end = p + cb;
    while (p < end) {
        uint32_t c = *p++;
        int more = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (more < 0 || end - p < more)
            return -1;
        if (more)
            c &= 0x3Fu >> more;
        for (int k = 0; k < more; k++) {
            if ((*p & 0xC0) != 0x80)
                return -1;
            c = (c << 6) | (*p++ & 0x3Fu);
        }
        if (c >= 0x10000) {
            if (out && o + 2 <= cchMax) {
                out[o] = (JET_WCHAR)(0xD800 + ((c - 0x10000) >> 10));
                out[o + 1] = (JET_WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
            }
            o += 2;
        } else {
            if (out && o < cchMax)
                out[o] = (JET_WCHAR)c;
            o++;
        }
    }
    return (int64_t)o;
}

/* Up to six converted arguments of one call, freed together. */
typedef struct wargs {
    char *s[6];
    int   n;
} wargs;

static JET_ERR wa_in(wargs *pw, const JET_WCHAR *w, const char **pout)
{
    char *s;
    JET_ERR err = w_to_utf8(w, &s);
    if (err < 0)
        return err;
    pw->s[pw->n++] = s;
    *pout = s;
    return JET_errSuccess;
}

static void wa_free(wargs *pw)
{
    for (int i = 0; i < pw->n; i++)
        os_free(pw->s[i]);
}

/* Convert a UTF-8 string result (NUL-terminated, or a multi-string of cb
 * bytes ending in two NULs) into the caller's WCHAR buffer of cbMax bytes.
 * *pcbActual gets the UTF-16 size in bytes.  JET_errBufferTooSmall when it
 * does not fit and a buffer was given. */
static JET_ERR w_out(const char *s, size_t cb, JET_WCHAR *out, uint32_t cbMax, uint32_t *pcbActual)
{
    int64_t cch = utf8_to_w(s, cb, NULL, 0);
    if (cch < 0)
        return JET_errInvalidParameter;
    if (pcbActual)
        *pcbActual = (uint32_t)(cch * 2);
    if (out == NULL)
        return JET_errSuccess;
    if ((uint64_t)cch * 2 > cbMax)
        return JET_errBufferTooSmall;
    (void)utf8_to_w(s, cb, out, (size_t)cch);
    return JET_errSuccess;
}

/* ---- instances and parameters ------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetCreateInstanceW(JET_INSTANCE *pinstance, const JET_WCHAR *szInstanceName)
{
    wargs w = { 0 };
    const char *a;
    JET_ERR err = wa_in(&w, szInstanceName, &a);
    if (err >= 0)
        err = JetCreateInstance(pinstance, a);
    wa_free(&w);
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateInstance2W(JET_INSTANCE *pinstance, const JET_WCHAR *szInstanceName,
                                         const JET_WCHAR *szDisplayName, JET_GRBIT grbit)
{
    wargs w = { 0 };
    const char *a, *b;
    JET_ERR err = wa_in(&w, szInstanceName, &a);
    if (err >= 0)
        err = wa_in(&w, szDisplayName, &b);
    if (err >= 0)
        err = JetCreateInstance2(pinstance, a, b, grbit);
    wa_free(&w);
    return err;
}

ESEPY_EXPORT JET_ERR JetSetSystemParameterW(JET_INSTANCE *pinstance, JET_SESID sesid, uint32_t paramid,
                                            JET_API_PTR lParam, const JET_WCHAR *szParam)
{
    wargs w = { 0 };
    const char *a;
    JET_ERR err = wa_in(&w, szParam, &a);
    if (err >= 0)
        err = JetSetSystemParameter(pinstance, sesid, paramid, lParam, a);
    wa_free(&w);
    return err;
}

/* cbMax is the size of szParam in bytes, as in ESENT. */
ESEPY_EXPORT JET_ERR JetGetSystemParameterW(JET_INSTANCE instance, JET_SESID sesid, uint32_t paramid,
                                            JET_API_PTR *plParam, JET_WCHAR *szParam, uint32_t cbMax)
{
    if (szParam == NULL)
        return JetGetSystemParameter(instance, sesid, paramid, plParam, NULL, 0);
    /* A UTF-16 unit becomes at most 3 UTF-8 bytes (a pair of them, 4). */
    uint32_t cb8 = cbMax / 2 * 3 + 4;
    char *tmp = os_malloc(cb8);
    if (tmp == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = JetGetSystemParameter(instance, sesid, paramid, plParam, tmp, cb8);
    if (err >= 0) {
        JET_ERR e = w_out(tmp, strlen(tmp) + 1, szParam, cbMax, NULL);
        if (e < 0)
            err = e;
    }
    os_free(tmp);
    return err;
}

/* ---- sessions and databases ----------------------------------------------------------- */

ESEPY_EXPORT JET_ERR JetBeginSessionW(JET_INSTANCE instance, JET_SESID *psesid, const JET_WCHAR *szUserName,
                                      const JET_WCHAR *szPassword)
{
    (void)szUserName, (void)szPassword; /* ignored, as by ESENT */
    return JetBeginSession(instance, psesid, NULL, NULL);
}

#define W1(call_a)                                                                                           \
    wargs w = { 0 };                                                                                         \
    const char *a;                                                                                           \
    JET_ERR err = wa_in(&w, wsz, &a);                                                                        \
    if (err >= 0)                                                                                            \
        err = (call_a);                                                                                      \
    wa_free(&w);                                                                                             \
    return err

#define W2(call_a)                                                                                           \
    wargs w = { 0 };                                                                                         \
    const char *a, *b;                                                                                       \
    JET_ERR err = wa_in(&w, wsz, &a);                                                                        \
    if (err >= 0)                                                                                            \
        err = wa_in(&w, wsz2, &b);                                                                           \
    if (err >= 0)                                                                                            \
        err = (call_a);                                                                                      \
    wa_free(&w);                                                                                             \
    return err

ESEPY_EXPORT JET_ERR JetCreateDatabaseW(JET_SESID sesid, const JET_WCHAR *wsz, const JET_WCHAR *wsz2,
                                        JET_DBID *pdbid, JET_GRBIT grbit)
{
    W2(JetCreateDatabase(sesid, a, b, pdbid, grbit));
}

ESEPY_EXPORT JET_ERR JetCreateDatabase2W(JET_SESID sesid, const JET_WCHAR *wsz, uint32_t cpgDatabaseSizeMax,
                                         JET_DBID *pdbid, JET_GRBIT grbit)
{
    W1(JetCreateDatabase2(sesid, a, cpgDatabaseSizeMax, pdbid, grbit));
}

ESEPY_EXPORT JET_ERR JetAttachDatabaseW(JET_SESID sesid, const JET_WCHAR *wsz, JET_GRBIT grbit)
{
    W1(JetAttachDatabase(sesid, a, grbit));
}

ESEPY_EXPORT JET_ERR JetAttachDatabase2W(JET_SESID sesid, const JET_WCHAR *wsz, uint32_t cpgDatabaseSizeMax,
                                         JET_GRBIT grbit)
{
    W1(JetAttachDatabase2(sesid, a, cpgDatabaseSizeMax, grbit));
}

ESEPY_EXPORT JET_ERR JetDetachDatabaseW(JET_SESID sesid, const JET_WCHAR *wsz)
{
    W1(JetDetachDatabase(sesid, a));
}

ESEPY_EXPORT JET_ERR JetDetachDatabase2W(JET_SESID sesid, const JET_WCHAR *wsz, JET_GRBIT grbit)
{
    W1(JetDetachDatabase2(sesid, a, grbit));
}

ESEPY_EXPORT JET_ERR JetOpenDatabaseW(JET_SESID sesid, const JET_WCHAR *wsz, const JET_WCHAR *wsz2,
                                      JET_DBID *pdbid, JET_GRBIT grbit)
{
    W2(JetOpenDatabase(sesid, a, b, pdbid, grbit));
}

ESEPY_EXPORT JET_ERR JetGetDatabaseFileInfoW(const JET_WCHAR *wsz, void *pvResult, uint32_t cbMax,
                                             uint32_t InfoLevel)
{
    W1(JetGetDatabaseFileInfo(a, pvResult, cbMax, InfoLevel));
}

/* ---- tables, columns, indexes ------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetCreateTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz, int32_t lPages,
                                     int32_t lDensity, JET_TABLEID *ptableid)
{
    W1(JetCreateTable(sesid, dbid, a, lPages, lDensity, ptableid));
}

ESEPY_EXPORT JET_ERR JetOpenTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz, const void *pvParameters,
                                   uint32_t cbParameters, JET_GRBIT grbit, JET_TABLEID *ptableid)
{
    W1(JetOpenTable(sesid, dbid, a, pvParameters, cbParameters, grbit, ptableid));
}

ESEPY_EXPORT JET_ERR JetDeleteTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz)
{
    W1(JetDeleteTable(sesid, dbid, a));
}

ESEPY_EXPORT JET_ERR JetRenameTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz, const JET_WCHAR *wsz2)
{
    W2(JetRenameTable(sesid, dbid, a, b));
}

ESEPY_EXPORT JET_ERR JetSetColumnDefaultValueW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz,
                                               const JET_WCHAR *wsz2, const void *pvData, uint32_t cbData,
                                               JET_GRBIT grbit)
{
    W2(JetSetColumnDefaultValue(sesid, dbid, a, b, pvData, cbData, grbit));
}

ESEPY_EXPORT JET_ERR JetAddColumnW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz,
                                   const JET_COLUMNDEF *pcolumndef, const void *pvDefault, uint32_t cbDefault,
                                   JET_COLUMNID *pcolumnid)
{
    W1(JetAddColumn(sesid, tableid, a, pcolumndef, pvDefault, cbDefault, pcolumnid));
}

ESEPY_EXPORT JET_ERR JetDeleteColumnW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz)
{
    W1(JetDeleteColumn(sesid, tableid, a));
}

ESEPY_EXPORT JET_ERR JetDeleteColumn2W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz, JET_GRBIT grbit)
{
    W1(JetDeleteColumn2(sesid, tableid, a, grbit));
}

ESEPY_EXPORT JET_ERR JetRenameColumnW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz,
                                      const JET_WCHAR *wsz2, JET_GRBIT grbit)
{
    W2(JetRenameColumn(sesid, tableid, a, b, grbit));
}

/* szKey is the key description "+col\0-col\0\0" in WCHARs, cbKey its size in
 * bytes; converted whole, NULs included. */
ESEPY_EXPORT JET_ERR JetCreateIndexW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz, JET_GRBIT grbit,
                                     const JET_WCHAR *szKey, uint32_t cbKey, uint32_t lDensity)
{
    if (szKey == NULL || cbKey % 2)
        return JET_errInvalidParameter;
    size_t cch = cbKey / 2, cb = 0;
    char *key = os_malloc(cch * 3 + 1);
    if (key == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = w_to_utf8_n(szKey, cch, key, &cb);
    if (err >= 0) {
        wargs w = { 0 };
        const char *a;
        err = wa_in(&w, wsz, &a);
        if (err >= 0)
            err = JetCreateIndex(sesid, tableid, a, grbit, key, (uint32_t)cb, lDensity);
        wa_free(&w);
    }
    os_free(key);
    return err;
}

/* ---- W index structures ----------------------------------------------------------------- */

/* JET_INDEXCREATE{,2,3}_W share the A layouts (the same offsets for every
 * field the conversion touches; only the size differs), so an element is
 * copied whole and its strings replaced. */
_Static_assert(sizeof(JET_INDEXCREATE_W) == sizeof(JET_INDEXCREATE_A), "layout");
_Static_assert(sizeof(JET_INDEXCREATE2_W) == sizeof(JET_INDEXCREATE2_A), "layout");
_Static_assert(sizeof(JET_INDEXCREATE3_W) == sizeof(JET_INDEXCREATE3_A), "layout");
_Static_assert(offsetof(JET_INDEXCREATE3_W, rgconditionalcolumn) == offsetof(JET_INDEXCREATE_A, rgconditionalcolumn),
               "layout");
_Static_assert(offsetof(JET_INDEXCREATE3_W, err) == offsetof(JET_INDEXCREATE_A, err), "layout");

/* Free the strings convert_index put in one A element. */
static void free_index_a(JET_INDEXCREATE_A *pa)
{
    os_free(pa->szIndexName);
    os_free(pa->szKey);
    for (uint32_t j = 0; pa->rgconditionalcolumn && j < pa->cConditionalColumn; j++)
        os_free(pa->rgconditionalcolumn[j].szColumnName);
    os_free(pa->rgconditionalcolumn);
}

/* One W element (pw) into the A element pa, already a copy of it. */
static JET_ERR convert_index(const JET_INDEXCREATE_W *pw, JET_INDEXCREATE_A *pa)
{
    pa->szIndexName = NULL, pa->szKey = NULL, pa->rgconditionalcolumn = NULL;
    JET_ERR err = w_to_utf8(pw->szIndexName, &pa->szIndexName);
    if (err >= 0 && pw->szKey != NULL) {
        if (pw->cbKey % 2)
            return JET_errInvalidParameter;
        size_t cch = pw->cbKey / 2, cb = 0;
        pa->szKey = os_malloc(cch * 3 + 1);
        if (pa->szKey == NULL)
            return JET_errOutOfMemory;
        err = w_to_utf8_n(pw->szKey, cch, pa->szKey, &cb);
        pa->cbKey = (uint32_t)cb;
    }
    if (err >= 0 && pw->rgconditionalcolumn != NULL && pw->cConditionalColumn > 0) {
        pa->rgconditionalcolumn = os_calloc(pw->cConditionalColumn, sizeof(JET_CONDITIONALCOLUMN_A));
        if (pa->rgconditionalcolumn == NULL)
            return JET_errOutOfMemory;
        for (uint32_t j = 0; err >= 0 && j < pw->cConditionalColumn; j++) {
            pa->rgconditionalcolumn[j].cbStruct = pw->rgconditionalcolumn[j].cbStruct;
            pa->rgconditionalcolumn[j].grbit = pw->rgconditionalcolumn[j].grbit;
            err = w_to_utf8(pw->rgconditionalcolumn[j].szColumnName, &pa->rgconditionalcolumn[j].szColumnName);
        }
    }
    return err;
}

/* c W index elements of `size` bytes -> a new A array (*ppa; *pdone
 * elements hold converted strings, free with indexes_free). */
static JET_ERR indexes_in(const void *pw, uint32_t c, size_t size, uint8_t **ppa, uint32_t *pdone)
{
    *ppa = NULL, *pdone = 0;
    if (pw == NULL || c == 0)
        return JET_errSuccess;
    uint8_t *pa = os_calloc(c, size);
    if (pa == NULL)
        return JET_errOutOfMemory;
    *ppa = pa;
    memcpy(pa, pw, (size_t)c * size);
    JET_ERR err = JET_errSuccess;
    while (err >= 0 && *pdone < c) {
        uint32_t i = (*pdone)++;
        err = convert_index((const JET_INDEXCREATE_W *)((const uint8_t *)pw + i * size),
                            (JET_INDEXCREATE_A *)(pa + i * size));
    }
    return err;
}

/* Each element's err back into the caller's W array. */
static void indexes_out(void *pw, const uint8_t *pa, uint32_t c, size_t size)
{
    for (uint32_t i = 0; pa && i < c; i++)
        ((JET_INDEXCREATE_W *)((uint8_t *)pw + i * size))->err = ((const JET_INDEXCREATE_A *)(pa + i * size))->err;
}

static void indexes_free(uint8_t *pa, uint32_t done, size_t size)
{
    for (uint32_t i = 0; pa && i < done; i++)
        free_index_a((JET_INDEXCREATE_A *)(pa + i * size));
    os_free(pa);
}

/* Convert, call level 1..3 of JetCreateIndexN, copy each element's err back. */
static JET_ERR create_index_w(JET_SESID sesid, JET_TABLEID tableid, void *pw, uint32_t c, size_t size, int level)
{
    uint8_t *pa = NULL;
    uint32_t done = 0;
    JET_ERR err = indexes_in(pw, c, size, &pa, &done);
    if (err >= 0) {
        void *arg = pa ? (void *)pa : pw; /* NULL or no element: the A function judges */
        err = level == 1 ? JetCreateIndex2(sesid, tableid, arg, c)
            : level == 2 ? JetCreateIndex3(sesid, tableid, arg, c)
                         : JetCreateIndex4(sesid, tableid, arg, c);
        indexes_out(pw, pa, c, size);
    }
    indexes_free(pa, done, size);
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateIndex2W(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE_W *pindexcreate,
                                      uint32_t cIndexCreate)
{
    return create_index_w(sesid, tableid, pindexcreate, cIndexCreate, sizeof(*pindexcreate), 1);
}

ESEPY_EXPORT JET_ERR JetCreateIndex3W(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE2_W *pindexcreate,
                                      uint32_t cIndexCreate)
{
    return create_index_w(sesid, tableid, pindexcreate, cIndexCreate, sizeof(*pindexcreate), 2);
}

ESEPY_EXPORT JET_ERR JetCreateIndex4W(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE3_W *pindexcreate,
                                      uint32_t cIndexCreate)
{
    return create_index_w(sesid, tableid, pindexcreate, cIndexCreate, sizeof(*pindexcreate), 3);
}

/* ---- W table structures (JetCreateTableColumnIndex*W) ----------------------------------- */

/* Every JET_TABLECREATE{,2,3,4} has the same offsets up to cIndexes, and 2..4
 * the same szCallback; the results (tableid, cCreated) sit at per-level
 * offsets. */
_Static_assert(offsetof(JET_TABLECREATE4_A, cIndexes) == offsetof(JET_TABLECREATE_A, cIndexes), "layout");
_Static_assert(offsetof(JET_TABLECREATE4_A, szCallback) == offsetof(JET_TABLECREATE2_A, szCallback), "layout");
_Static_assert(sizeof(JET_COLUMNCREATE_W) == sizeof(JET_COLUMNCREATE_A), "layout");
_Static_assert(sizeof(JET_TABLECREATE4_W) == sizeof(JET_TABLECREATE4_A), "layout");
_Static_assert(offsetof(JET_TABLECREATE3_W, tableid) == offsetof(JET_TABLECREATE4_W, tableid), "layout");
_Static_assert(offsetof(JET_TABLECREATE3_W, cCreated) == offsetof(JET_TABLECREATE4_W, cCreated), "layout");

static JET_ERR create_table_w(JET_SESID sesid, JET_DBID dbid, void *pw, size_t size, int level)
{
    if (pw == NULL)
        return level == 1 ? JetCreateTableColumnIndex(sesid, dbid, NULL)
             : level == 2 ? JetCreateTableColumnIndex2(sesid, dbid, NULL)
             : level == 3 ? JetCreateTableColumnIndex3(sesid, dbid, NULL)
                          : JetCreateTableColumnIndex4(sesid, dbid, NULL);
    const JET_TABLECREATE_W *tw = pw;
    const size_t sizeIdx = level <= 2 ? sizeof(JET_INDEXCREATE_W)
                         : level == 3 ? sizeof(JET_INDEXCREATE2_W) : sizeof(JET_INDEXCREATE3_W);
    /* One member per level; t1 is the common initial sequence up to
     * cIndexes, t2 up to grbit for levels 2..4 (C11 6.5.2.3). */
    union {
        JET_TABLECREATE_A  t1;
        JET_TABLECREATE2_A t2;
        JET_TABLECREATE3_A t3;
        JET_TABLECREATE4_A t4;
    } u;
    memset(&u, 0, sizeof(u));
    memcpy(&u, pw, size);
    JET_TABLECREATE_A *pa = &u.t1;
    pa->szTableName = pa->szTemplateTableName = NULL;
    pa->rgcolumncreate = NULL, pa->rgindexcreate = NULL;
    if (level >= 2)
        u.t2.szCallback = NULL;
    char *cb8 = NULL;
    uint8_t *idx = NULL;
    uint32_t cIdxDone = 0, cColDone = 0;
    JET_COLUMNCREATE_A *cols = NULL;
    JET_ERR err = w_to_utf8(tw->szTableName, &pa->szTableName);
    if (err >= 0)
        err = w_to_utf8(tw->szTemplateTableName, &pa->szTemplateTableName);
    if (err >= 0 && level >= 2) {
        err = w_to_utf8(((const JET_TABLECREATE2_W *)pw)->szCallback, &cb8);
        u.t2.szCallback = cb8;
    }
    if (err >= 0 && tw->rgcolumncreate && tw->cColumns) {
        cols = os_calloc(tw->cColumns, sizeof(*cols));
        err = cols ? JET_errSuccess : JET_errOutOfMemory;
        for (; err >= 0 && cColDone < tw->cColumns; cColDone++) {
            memcpy(&cols[cColDone], &tw->rgcolumncreate[cColDone], sizeof(*cols));
            cols[cColDone].szColumnName = NULL;
            err = w_to_utf8(tw->rgcolumncreate[cColDone].szColumnName, &cols[cColDone].szColumnName);
        }
        pa->rgcolumncreate = cols;
    } else {
        pa->rgcolumncreate = (JET_COLUMNCREATE_A *)(void *)tw->rgcolumncreate; /* NULL or no element */
    }
    if (err >= 0) {
        err = indexes_in(tw->rgindexcreate, tw->cIndexes, sizeIdx, &idx, &cIdxDone);
        pa->rgindexcreate = idx ? (JET_INDEXCREATE_A *)idx : (JET_INDEXCREATE_A *)(void *)tw->rgindexcreate;
    }
    if (err >= 0) {
        err = level == 1 ? JetCreateTableColumnIndex(sesid, dbid, &u.t1)
            : level == 2 ? JetCreateTableColumnIndex2(sesid, dbid, &u.t2)
            : level == 3 ? JetCreateTableColumnIndex3(sesid, dbid, &u.t3)
                         : JetCreateTableColumnIndex4(sesid, dbid, &u.t4);
        /* results: tableid, cCreated, each column's id and err, each index's err */
        JET_TABLEID tid = level == 1 ? u.t1.tableid : level == 2 ? u.t2.tableid
                        : level == 3 ? u.t3.tableid : u.t4.tableid;
        uint32_t cCreated = level == 1 ? u.t1.cCreated : level == 2 ? u.t2.cCreated
                          : level == 3 ? u.t3.cCreated : u.t4.cCreated;
        size_t offTid = level == 1 ? offsetof(JET_TABLECREATE_W, tableid)
                      : level == 2 ? offsetof(JET_TABLECREATE2_W, tableid) : offsetof(JET_TABLECREATE4_W, tableid);
        size_t offCnt = level == 1 ? offsetof(JET_TABLECREATE_W, cCreated)
                      : level == 2 ? offsetof(JET_TABLECREATE2_W, cCreated) : offsetof(JET_TABLECREATE4_W, cCreated);
        memcpy((uint8_t *)pw + offTid, &tid, sizeof(tid));
        memcpy((uint8_t *)pw + offCnt, &cCreated, sizeof(cCreated));
        for (uint32_t i = 0; cols && i < tw->cColumns; i++) {
            tw->rgcolumncreate[i].columnid = cols[i].columnid;
            tw->rgcolumncreate[i].err = cols[i].err;
        }
        indexes_out(tw->rgindexcreate, idx, tw->cIndexes, sizeIdx);
    }
    for (uint32_t i = 0; cols && i < cColDone; i++)
        os_free(cols[i].szColumnName);
    os_free(cols);
    indexes_free(idx, cIdxDone, sizeIdx);
    os_free(cb8);
    os_free(pa->szTableName);
    os_free(pa->szTemplateTableName);
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndexW(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE_W *ptablecreate)
{
    return create_table_w(sesid, dbid, ptablecreate, sizeof(*ptablecreate), 1);
}

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndex2W(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE2_W *ptablecreate)
{
    return create_table_w(sesid, dbid, ptablecreate, sizeof(*ptablecreate), 2);
}

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndex3W(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE3_W *ptablecreate)
{
    return create_table_w(sesid, dbid, ptablecreate, sizeof(*ptablecreate), 3);
}

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndex4W(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE4_W *ptablecreate)
{
    return create_table_w(sesid, dbid, ptablecreate, sizeof(*ptablecreate), 4);
}

/* An index info level for the A function: the list levels ask for a list
 * table holding UTF-16, as ESENT's W functions return. */
static uint32_t wide_list_level(uint32_t level)
{
    return level == JET_IdxInfo || level == JET_IdxInfoList ? level | ESEPY_INFOLEVEL_WIDE : level;
}

/* JetGetColumnInfoW (fTable 0) / JetGetTableColumnInfoW (fTable 1). */
static JET_ERR column_info_w(JET_SESID sesid, JET_DBID dbid, JET_TABLEID tableid, int fTable, const JET_WCHAR *wszTable,
                             const JET_WCHAR *wszColumn, void *pv, uint32_t cbMax, uint32_t level)
{
    const int fByColid = level == JET_ColInfoByColid || level == JET_ColInfoBaseByColid;
    const int fBase = level == JET_ColInfoBase || level == JET_ColInfoBaseByColid;
    wargs w = { 0 };
    const char *t = NULL, *c = NULL;
    JET_ERR err = fTable ? JET_errSuccess : wa_in(&w, wszTable, &t);
    if (err >= 0) {
        if (fByColid)
            c = (const char *)(const void *)wszColumn; /* a JET_COLUMNID, not a string */
        else
            err = wa_in(&w, wszColumn, &c);
    }
    JET_COLUMNBASE ab;
    memset(&ab, 0, sizeof(ab));
    void *pvA = fBase ? (pv ? (void *)&ab : NULL) : pv;
    uint32_t cbA = fBase ? (cbMax < sizeof(JET_COLUMNBASE_W) ? 0 : (uint32_t)sizeof(ab)) : cbMax;
    const int fList = level == JET_ColInfoList || level == JET_ColInfoListCompact ||
                      level == JET_ColInfoListSortColumnid;
    uint32_t levelA = fList ? level | ESEPY_INFOLEVEL_WIDE : level; /* as ESENT: the list holds UTF-16 */
    if (err >= 0)
        err = fTable ? JetGetTableColumnInfo(sesid, tableid, c, pvA, cbA, levelA)
                     : JetGetColumnInfo(sesid, dbid, t, c, pvA, cbA, levelA);
    if (err >= 0 && fBase && pv != NULL) {
        JET_COLUMNBASE_W *pw = pv;
        pw->cbStruct = sizeof(*pw);
        pw->columnid = ab.columnid;
        pw->coltyp = ab.coltyp;
        pw->wCountry = ab.wCountry, pw->langid = ab.langid, pw->cp = ab.cp, pw->wFiller = ab.wFiller;
        pw->cbMax = ab.cbMax;
        pw->grbit = ab.grbit;
        ab.szBaseTableName[255] = ab.szBaseColumnName[255] = '\0';
        JET_ERR e = w_out(ab.szBaseTableName, strlen(ab.szBaseTableName) + 1, pw->szBaseTableName,
                          sizeof(pw->szBaseTableName), NULL);
        if (e >= 0)
            e = w_out(ab.szBaseColumnName, strlen(ab.szBaseColumnName) + 1, pw->szBaseColumnName,
                      sizeof(pw->szBaseColumnName), NULL);
        if (e < 0)
            err = e;
    }
    wa_free(&w);
    return err;
}

ESEPY_EXPORT JET_ERR JetGetColumnInfoW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName,
                                       const JET_WCHAR *szColumnName, void *pvResult, uint32_t cbMax,
                                       uint32_t InfoLevel)
{
    return column_info_w(sesid, dbid, 0, 0, szTableName, szColumnName, pvResult, cbMax, InfoLevel);
}

ESEPY_EXPORT JET_ERR JetGetTableColumnInfoW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szColumnName,
                                            void *pvResult, uint32_t cbMax, uint32_t InfoLevel)
{
    return column_info_w(sesid, 0, tableid, 1, NULL, szColumnName, pvResult, cbMax, InfoLevel);
}

ESEPY_EXPORT JET_ERR JetGetIndexInfoW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz, const JET_WCHAR *wsz2,
                                      void *pvResult, uint32_t cbResult, uint32_t InfoLevel)
{
    W2(JetGetIndexInfo(sesid, dbid, a, b, pvResult, cbResult, wide_list_level(InfoLevel)));
}

ESEPY_EXPORT JET_ERR JetGetTableIndexInfoW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz,
                                           void *pvResult, uint32_t cbResult, uint32_t InfoLevel)
{
    W1(JetGetTableIndexInfo(sesid, tableid, a, pvResult, cbResult, wide_list_level(InfoLevel)));
}

/* One allocation, as JetGetInstanceInfo's: the array, three NULL-terminated
 * (empty) name arrays per instance, then the UTF-16 instance names. */
ESEPY_EXPORT JET_ERR JetGetInstanceInfoW(uint32_t *pcInstanceInfo, JET_INSTANCE_INFO_W **paInstanceInfo)
{
    if (pcInstanceInfo == NULL || paInstanceInfo == NULL)
        return JET_errInvalidParameter;
    uint32_t n = 0;
    JET_INSTANCE_INFO *rg = NULL;
    JET_ERR err = JetGetInstanceInfo(&n, &rg);
    if (err < 0)
        return err;
    size_t cch = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t c = utf8_to_w(rg[i].szInstanceName, strlen(rg[i].szInstanceName) + 1, NULL, 0);
        if (c < 0) {
            JetFreeBuffer((char *)rg);
            return JET_errInvalidParameter;
        }
        cch += (size_t)c;
    }
    size_t cb = n * (sizeof(JET_INSTANCE_INFO_W) + 3 * sizeof(JET_WCHAR *)) + cch * sizeof(JET_WCHAR);
    char *buf = os_calloc(1, cb ? cb : 1);
    if (buf == NULL) {
        JetFreeBuffer((char *)rg);
        return JET_errOutOfMemory;
    }
    JET_INSTANCE_INFO_W *rw = (JET_INSTANCE_INFO_W *)(void *)buf;
    JET_WCHAR **ptrs = (JET_WCHAR **)(void *)(rw + n);
    JET_WCHAR *strs = (JET_WCHAR *)(void *)(ptrs + 3 * n);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(rg[i].szInstanceName) + 1;
        int64_t c = utf8_to_w(rg[i].szInstanceName, len, strs, cch);
        rw[i].hInstanceId = rg[i].hInstanceId;
        rw[i].szInstanceName = strs;
        rw[i].cDatabases = 0; /* as the A function: no database listed */
        rw[i].szDatabaseFileName = &ptrs[3 * i];
        rw[i].szDatabaseDisplayName = &ptrs[3 * i + 1];
        rw[i].szDatabaseSLVFileName_Obsolete = &ptrs[3 * i + 2];
        strs += c;
        cch -= (size_t)c;
    }
    JetFreeBuffer((char *)rg);
    *pcInstanceInfo = n;
    *paInstanceInfo = rw;
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR JetGetObjectInfoW(JET_SESID sesid, JET_DBID dbid, JET_OBJTYP objtyp, const JET_WCHAR *wsz,
                                       const JET_WCHAR *wsz2, void *pvResult, uint32_t cbMax, uint32_t InfoLevel)
{
    uint32_t level = InfoLevel == JET_ObjInfoList || InfoLevel == JET_ObjInfoListNoStats
                     ? InfoLevel | ESEPY_INFOLEVEL_WIDE : InfoLevel; /* as ESENT: the list holds UTF-16 */
    W2(JetGetObjectInfo(sesid, dbid, objtyp, a, b, pvResult, cbMax, level));
}

ESEPY_EXPORT JET_ERR JetDeleteIndexW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz)
{
    W1(JetDeleteIndex(sesid, tableid, a));
}

ESEPY_EXPORT JET_ERR JetSetCurrentIndexW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz)
{
    W1(JetSetCurrentIndex(sesid, tableid, a));
}

ESEPY_EXPORT JET_ERR JetSetCurrentIndex2W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz,
                                          JET_GRBIT grbit)
{
    W1(JetSetCurrentIndex2(sesid, tableid, a, grbit));
}

ESEPY_EXPORT JET_ERR JetSetCurrentIndex3W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz,
                                          JET_GRBIT grbit, uint32_t itagSequence)
{
    W1(JetSetCurrentIndex3(sesid, tableid, a, grbit, itagSequence));
}

ESEPY_EXPORT JET_ERR JetSetCurrentIndex4W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *wsz,
                                          JET_INDEXID *pindexid, JET_GRBIT grbit, uint32_t itagSequence)
{
    W1(JetSetCurrentIndex4(sesid, tableid, a, pindexid, grbit, itagSequence));
}

/* cbIndexName: the size of szIndexName in bytes. */
ESEPY_EXPORT JET_ERR JetGetCurrentIndexW(JET_SESID sesid, JET_TABLEID tableid, JET_WCHAR *szIndexName,
                                         uint32_t cbIndexName)
{
    char tmp[JET_cbNameMost * 3 + 1];
    JET_ERR err = JetGetCurrentIndex(sesid, tableid, tmp, sizeof(tmp));
    if (err < 0)
        return err;
    JET_ERR e = w_out(tmp, strlen(tmp) + 1, szIndexName, cbIndexName, NULL);
    return e < 0 ? e : err;
}

/* ---- backup and restore ------------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetBackupInstanceW(JET_INSTANCE instance, const JET_WCHAR *wsz, JET_GRBIT grbit,
                                        JET_PFNSTATUS pfnStatus)
{
    W1(JetBackupInstance(instance, a, grbit, pfnStatus));
}

ESEPY_EXPORT JET_ERR JetBackupW(const JET_WCHAR *wsz, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus)
{
    W1(JetBackup(a, grbit, pfnStatus));
}

ESEPY_EXPORT JET_ERR JetRestoreInstanceW(JET_INSTANCE instance, const JET_WCHAR *wsz, const JET_WCHAR *wsz2,
                                         JET_PFNSTATUS pfn)
{
    W2(JetRestoreInstance(instance, a, b, pfn));
}

ESEPY_EXPORT JET_ERR JetRestoreW(const JET_WCHAR *wsz, JET_PFNSTATUS pfn)
{
    W1(JetRestore(a, pfn));
}

ESEPY_EXPORT JET_ERR JetRestore2W(const JET_WCHAR *wsz, const JET_WCHAR *wsz2, JET_PFNSTATUS pfn)
{
    W2(JetRestore2(a, b, pfn));
}

ESEPY_EXPORT JET_ERR JetOpenFileInstanceW(JET_INSTANCE instance, const JET_WCHAR *wsz, JET_HANDLE *phfFile,
                                          uint32_t *pulFileSizeLow, uint32_t *pulFileSizeHigh)
{
    W1(JetOpenFileInstance(instance, a, phfFile, pulFileSizeLow, pulFileSizeHigh));
}

ESEPY_EXPORT JET_ERR JetOpenFileW(const JET_WCHAR *wsz, JET_HANDLE *phfFile, uint32_t *pulFileSizeLow,
                                  uint32_t *pulFileSizeHigh)
{
    W1(JetOpenFile(a, phfFile, pulFileSizeLow, pulFileSizeHigh));
}

/* Multi-string results: ask the A function for the UTF-8 size, fetch it,
 * convert.  *pcbActual is the UTF-16 size in bytes. */
typedef JET_ERR (*szz_fn)(JET_INSTANCE inst, char *szz, uint32_t cbMax, uint32_t *pcbActual);

static JET_ERR szz_w(szz_fn fn, JET_INSTANCE inst, JET_WCHAR *wszz, uint32_t cbMax, uint32_t *pcbActual)
{
    uint32_t cb = 0;
    JET_ERR err = fn(inst, NULL, 0, &cb);
    if (err < 0)
        return err;
    char *tmp = os_malloc(cb ? cb : 1);
    if (tmp == NULL)
        return JET_errOutOfMemory;
    uint32_t cbGot = 0;
    err = fn(inst, tmp, cb, &cbGot);
    if (err >= 0) {
        JET_ERR e = w_out(tmp, cbGot < cb ? cbGot : cb, wszz, cbMax, pcbActual);
        if (e < 0)
            err = e;
    }
    os_free(tmp);
    return err;
}

ESEPY_EXPORT JET_ERR JetGetAttachInfoInstanceW(JET_INSTANCE instance, JET_WCHAR *szzDatabases, uint32_t cbMax,
                                               uint32_t *pcbActual)
{
    return szz_w(JetGetAttachInfoInstance, instance, szzDatabases, cbMax, pcbActual);
}

ESEPY_EXPORT JET_ERR JetGetLogInfoInstanceW(JET_INSTANCE instance, JET_WCHAR *szzLogs, uint32_t cbMax,
                                            uint32_t *pcbActual)
{
    return szz_w(JetGetLogInfoInstance, instance, szzLogs, cbMax, pcbActual);
}

ESEPY_EXPORT JET_ERR JetGetTruncateLogInfoInstanceW(JET_INSTANCE instance, JET_WCHAR *szzLogs, uint32_t cbMax,
                                                    uint32_t *pcbActual)
{
    return szz_w(JetGetTruncateLogInfoInstance, instance, szzLogs, cbMax, pcbActual);
}

static JET_ERR attach_info_global(JET_INSTANCE inst, char *szz, uint32_t cbMax, uint32_t *pcb)
{
    (void)inst;
    return JetGetAttachInfo(szz, cbMax, pcb);
}

static JET_ERR log_info_global(JET_INSTANCE inst, char *szz, uint32_t cbMax, uint32_t *pcb)
{
    (void)inst;
    return JetGetLogInfo(szz, cbMax, pcb);
}

ESEPY_EXPORT JET_ERR JetGetAttachInfoW(JET_WCHAR *szzDatabases, uint32_t cbMax, uint32_t *pcbActual)
{
    return szz_w(attach_info_global, 0, szzDatabases, cbMax, pcbActual);
}

ESEPY_EXPORT JET_ERR JetGetLogInfoW(JET_WCHAR *szzLogs, uint32_t cbMax, uint32_t *pcbActual)
{
    return szz_w(log_info_global, 0, szzLogs, cbMax, pcbActual);
}

/* ---- Windows volume snapshots ------------------------------------------------------------- */

ESEPY_EXPORT JET_ERR JetOSSnapshotFreezeW(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo, void **paInstanceInfo,
                                          const JET_GRBIT grbit)
{
    (void)snapId, (void)pcInstanceInfo, (void)paInstanceInfo, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotGetFreezeInfoW(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo,
                                                 void **paInstanceInfo, const JET_GRBIT grbit)
{
    (void)snapId, (void)pcInstanceInfo, (void)paInstanceInfo, (void)grbit;
    return JET_errDisabledFunctionality;
}

/* ---- structures with strings ---------------------------------------------------------------- */

/* The W entries are converted into an A array; each entry's err is copied back. */
ESEPY_EXPORT JET_ERR JetEnableMultiInstanceW(JET_SETSYSPARAM_W *psetsysparam, uint32_t csetsysparam,
                                             uint32_t *pcsetsucceed)
{
    if (csetsysparam && psetsysparam == NULL)
        return JetEnableMultiInstance(NULL, csetsysparam, pcsetsucceed); /* its own answer */
    JET_SETSYSPARAM *rg = csetsysparam ? os_calloc(csetsysparam, sizeof(*rg)) : NULL;
    char **rgsz = csetsysparam ? os_calloc(csetsysparam, sizeof(char *)) : NULL;
    JET_ERR err = (csetsysparam && (rg == NULL || rgsz == NULL)) ? JET_errOutOfMemory : JET_errSuccess;
    for (uint32_t i = 0; err >= 0 && i < csetsysparam; i++) {
        err = w_to_utf8(psetsysparam[i].sz, &rgsz[i]);
        rg[i].paramid = psetsysparam[i].paramid;
        rg[i].lParam = psetsysparam[i].lParam;
        rg[i].sz = rgsz[i];
    }
    if (err >= 0) {
        err = JetEnableMultiInstance(rg, csetsysparam, pcsetsucceed);
        for (uint32_t i = 0; i < csetsysparam; i++)
            psetsysparam[i].err = rg[i].err;
    }
    for (uint32_t i = 0; rgsz && i < csetsysparam; i++)
        os_free(rgsz[i]);
    os_free(rgsz);
    os_free(rg);
    return err;
}

/* JET_RSTINFO_W: the same recovery options with UTF-16 restore-map names. */
ESEPY_EXPORT JET_ERR JetInit3W(JET_INSTANCE *pinstance, JET_RSTINFO_W *prstInfo, JET_GRBIT grbit)
{
    if (prstInfo == NULL)
        return JetInit3(pinstance, NULL, grbit);
    if (prstInfo->cbStruct != sizeof(JET_RSTINFO_W) || prstInfo->crstmap < 0 ||
        (prstInfo->crstmap > 0 && prstInfo->rgrstmap == NULL))
        return JET_errInvalidParameter;
    uint32_t c = (uint32_t)prstInfo->crstmap;
    JET_RSTMAP *rgmap = c ? os_calloc(c, sizeof(*rgmap)) : NULL;
    JET_ERR err = (c && rgmap == NULL) ? JET_errOutOfMemory : JET_errSuccess;
    for (uint32_t i = 0; err >= 0 && i < c; i++) {
        err = w_to_utf8(prstInfo->rgrstmap[i].szDatabaseName, &rgmap[i].szDatabaseName);
        if (err >= 0)
            err = w_to_utf8(prstInfo->rgrstmap[i].szNewDatabaseName, &rgmap[i].szNewDatabaseName);
    }
    if (err >= 0) {
        JET_RSTINFO a;
        memset(&a, 0, sizeof(a));
        a.cbStruct = sizeof(a);
        a.rgrstmap = rgmap;
        a.crstmap = prstInfo->crstmap;
        a.lgposStop = prstInfo->lgposStop;
        a.logtimeStop = prstInfo->logtimeStop;
        a.pfnStatus = prstInfo->pfnStatus;
        err = JetInit3(pinstance, &a, grbit);
    }
    for (uint32_t i = 0; rgmap && i < c; i++) {
        os_free(rgmap[i].szDatabaseName);
        os_free(rgmap[i].szNewDatabaseName);
    }
    os_free(rgmap);
    return err;
}

/* JET_RSTMAP_W[c] -> a new JET_RSTMAP[c] (free with rstmap_free). */
static JET_ERR rstmap_in(const JET_RSTMAP_W *rgw, int32_t c, JET_RSTMAP **prg)
{
    *prg = NULL;
    if (c <= 0 || rgw == NULL)
        return JET_errSuccess; /* the A function checks the count */
    JET_RSTMAP *rg = os_calloc((size_t)c, sizeof(*rg));
    if (rg == NULL)
        return JET_errOutOfMemory;
    *prg = rg;
    JET_ERR err = JET_errSuccess;
    for (int32_t i = 0; err >= 0 && i < c; i++) {
        err = w_to_utf8(rgw[i].szDatabaseName, &rg[i].szDatabaseName);
        if (err >= 0)
            err = w_to_utf8(rgw[i].szNewDatabaseName, &rg[i].szNewDatabaseName);
    }
    return err;
}

static void rstmap_free(JET_RSTMAP *rg, int32_t c)
{
    for (int32_t i = 0; rg && i < c; i++) {
        os_free(rg[i].szDatabaseName);
        os_free(rg[i].szNewDatabaseName);
    }
    os_free(rg);
}

ESEPY_EXPORT JET_ERR JetExternalRestoreW(const JET_WCHAR *wszCheckpoint, const JET_WCHAR *wszLog,
                                         JET_RSTMAP_W *rgrstmap, int32_t crstfilemap, const JET_WCHAR *wszBackupLog,
                                         int32_t genLow, int32_t genHigh, JET_PFNSTATUS pfn)
{
    wargs w = { 0 };
    const char *a, *b, *c;
    JET_RSTMAP *rg = NULL;
    JET_ERR err = wa_in(&w, wszCheckpoint, &a);
    if (err >= 0)
        err = wa_in(&w, wszLog, &b);
    if (err >= 0)
        err = wa_in(&w, wszBackupLog, &c);
    if (err >= 0)
        err = rstmap_in(rgrstmap, crstfilemap, &rg);
    if (err >= 0)
        err = JetExternalRestore(a, b, rg, crstfilemap, c,
                                 genLow, genHigh, pfn);
    rstmap_free(rg, crstfilemap);
    wa_free(&w);
    return err;
}

ESEPY_EXPORT JET_ERR JetExternalRestore2W(const JET_WCHAR *wszCheckpoint, const JET_WCHAR *wszLog,
                                          JET_RSTMAP_W *rgrstmap, int32_t crstfilemap,
                                          const JET_WCHAR *wszBackupLog, JET_LOGINFO_W *pLogInfo,
                                          const JET_WCHAR *wszTarget, const JET_WCHAR *wszTargetLog,
                                          const JET_WCHAR *wszTargetCheckpoint, JET_PFNSTATUS pfn)
{
    if (pLogInfo != NULL && pLogInfo->cbSize != sizeof(JET_LOGINFO_W))
        return JET_errInvalidParameter;
    JET_LOGINFO li;
    memset(&li, 0, sizeof(li));
    li.cbSize = sizeof(li);
    if (pLogInfo) {
        li.ulGenLow = pLogInfo->ulGenLow;
        li.ulGenHigh = pLogInfo->ulGenHigh;
        for (int i = 0; i < 3 && pLogInfo->szBaseName[i] && pLogInfo->szBaseName[i] < 0x80; i++)
            li.szBaseName[i] = (char)pLogInfo->szBaseName[i];
    }
    wargs w = { 0 };
    const char *a, *b, *c, *t, *tl, *tc;
    JET_RSTMAP *rg = NULL;
    JET_ERR err = wa_in(&w, wszCheckpoint, &a);
    if (err >= 0)
        err = wa_in(&w, wszLog, &b);
    if (err >= 0)
        err = wa_in(&w, wszBackupLog, &c);
    if (err >= 0)
        err = wa_in(&w, wszTarget, &t);
    if (err >= 0)
        err = wa_in(&w, wszTargetLog, &tl);
    if (err >= 0)
        err = wa_in(&w, wszTargetCheckpoint, &tc);
    if (err >= 0)
        err = rstmap_in(rgrstmap, crstfilemap, &rg);
    if (err >= 0)
        err = JetExternalRestore2(a, b, rg, crstfilemap, c,
                                  pLogInfo ? &li : NULL, t, tl, tc, pfn);
    rstmap_free(rg, crstfilemap);
    wa_free(&w);
    return err;
}

/* JET_LOGINFO_W: the log range of JetGetLogInfoInstance2 with a UTF-16 base name. */
ESEPY_EXPORT JET_ERR JetGetLogInfoInstance2W(JET_INSTANCE instance, JET_WCHAR *wszzLogs, uint32_t cbMax,
                                             uint32_t *pcbActual, JET_LOGINFO_W *pLogInfo)
{
    if (pLogInfo && pLogInfo->cbSize != sizeof(JET_LOGINFO_W))
        return JET_errInvalidParameter;
    uint32_t cb = 0;
    JET_ERR err = JetGetLogInfoInstance(instance, NULL, 0, &cb); /* rolls the log once, as the A call */
    if (err < 0)
        return err;
    char *tmp = os_malloc(cb ? cb : 1);
    if (tmp == NULL)
        return JET_errOutOfMemory;
    JET_LOGINFO li;
    memset(&li, 0, sizeof(li));
    li.cbSize = sizeof(li);
    uint32_t cbGot = 0;
    err = JetGetLogInfoInstance2(instance, tmp, cb, &cbGot, pLogInfo ? &li : NULL);
    if (err >= 0) {
        JET_ERR e = w_out(tmp, cbGot < cb ? cbGot : cb, wszzLogs, cbMax, pcbActual);
        if (e < 0)
            err = e;
    }
    if (err >= 0 && pLogInfo) {
        pLogInfo->ulGenLow = li.ulGenLow;
        pLogInfo->ulGenHigh = li.ulGenHigh;
        for (size_t i = 0; i < sizeof(li.szBaseName); i++) /* an ASCII base name */
            pLogInfo->szBaseName[i] = (JET_WCHAR)(uint8_t)li.szBaseName[i];
    }
    os_free(tmp);
    return err;
}

/* Info levels whose result is a string come back in UTF-16 (cbMax in bytes);
 * the others are those of the A function. */
ESEPY_EXPORT JET_ERR JetGetDatabaseInfoW(JET_SESID sesid, JET_DBID dbid, void *pvResult, uint32_t cbMax,
                                         uint32_t InfoLevel)
{
    if (InfoLevel != JET_DbInfoFilename)
        return JetGetDatabaseInfo(sesid, dbid, pvResult, cbMax, InfoLevel);
    char tmp[OS_PATH_MAX];
    JET_ERR err = JetGetDatabaseInfo(sesid, dbid, tmp, sizeof(tmp), InfoLevel);
    if (err < 0)
        return err;
    if (pvResult == NULL)
        return JET_errInvalidParameter;
    JET_ERR e = w_out(tmp, strlen(tmp) + 1, pvResult, cbMax, NULL);
    return e < 0 ? e : err;
}

ESEPY_EXPORT JET_ERR JetGetTableInfoW(JET_SESID sesid, JET_TABLEID tableid, void *pvResult, uint32_t cbMax,
                                      uint32_t InfoLevel)
{
    if (InfoLevel != JET_TblInfoName && InfoLevel != JET_TblInfoTemplateTableName)
        return JetGetTableInfo(sesid, tableid, pvResult, cbMax, InfoLevel);
    char tmp[JET_cbNameMost * 3 + 1];
    JET_ERR err = JetGetTableInfo(sesid, tableid, tmp, sizeof(tmp), InfoLevel);
    if (err < 0)
        return err;
    if (pvResult == NULL)
        return JET_errInvalidParameter;
    JET_ERR e = w_out(tmp, strlen(tmp) + 1, pvResult, cbMax, NULL);
    return e < 0 ? e : err;
}

/* compact_api.c */
ESEPY_EXPORT JET_ERR JetCompactW(JET_SESID sesid, const JET_WCHAR *wsz, const JET_WCHAR *wsz2,
                                 JET_PFNSTATUS pfnStatus, JET_CONVERT *pconvert, JET_GRBIT grbit)
{
    W2(JetCompact(sesid, a, b, pfnStatus, pconvert, grbit));
}

ESEPY_EXPORT JET_ERR JetSetDatabaseSizeW(JET_SESID sesid, const JET_WCHAR *wsz, uint32_t cpg, uint32_t *pcpgReal)
{
    W1(JetSetDatabaseSize(sesid, a, cpg, pcpgReal));
}

ESEPY_EXPORT JET_ERR JetDefragmentW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz, uint32_t *pcPasses,
                                    uint32_t *pcSeconds, JET_GRBIT grbit)
{
    W1(JetDefragment(sesid, dbid, a, pcPasses, pcSeconds, grbit));
}

ESEPY_EXPORT JET_ERR JetDefragment2W(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *wsz, uint32_t *pcPasses,
                                     uint32_t *pcSeconds, JET_CALLBACK callback, JET_GRBIT grbit)
{
    W1(JetDefragment2(sesid, dbid, a, pcPasses, pcSeconds, callback, grbit));
}

ESEPY_EXPORT JET_ERR JetDefragment3W(JET_SESID sesid, const JET_WCHAR *wsz, const JET_WCHAR *wsz2,
                                     uint32_t *pcPasses, uint32_t *pcSeconds, JET_CALLBACK callback,
                                     void *pvContext, JET_GRBIT grbit)
{
    W2(JetDefragment3(sesid, a, b, pcPasses, pcSeconds, callback, pvContext, grbit));
}
