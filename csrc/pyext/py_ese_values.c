/*
 * py_ese_values.c -- stored values of an ESE file into Python objects: ints,
 * floats, str (with the column's code page), bytes, lists for multi-values;
 * DateTime as the float OLE date and GUID as 16 bytes (esepy/ese.py turns
 * them into datetime / uuid.UUID); values that cannot be decoded become
 * objects made by the cursor's Python factory (esepy.ese.Unsupported /
 * Damaged), never garbage.  Included by py_ese.c.
 *
 * Owns: the mapping of JET column types to Python objects.
 * Must not touch: cursor and file lifetimes (py_ese_cursor.c, py_ese_file.c),
 * engine internals.
 */

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

