/* Unit tests of the record format and key normalization (csrc/isam/record.c, key.c). */
#include <math.h>
#include <stdint.h>

#include "unit.h"
#include "le.h"
#include "os.h"
#include "record.h"

/* ---- helpers ---------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static uint32_t rndn(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }
static void rnd_seed(uint64_t s) { rng_state = s ? s : 1; }

static rec_column mkcol(JET_COLUMNID id, JET_COLTYP t, uint32_t cbMax, JET_GRBIT grbit, uint16_t cp)
{
    rec_column c;
    memset(&c, 0, sizeof(c));
    c.columnid = id;
    c.coltyp = t;
    c.cbMax = cbMax;
    c.grbit = grbit;
    c.cp = cp;
    return c;
}

#define NOLIMIT 0xFFFFFFFFu

/* Get a value and compare it with the expectation (pv NULL = expect NULL). */
static int get_is(const rec_buf *r, const rec_column *c, uint32_t itag, const void *pv, uint32_t cb, uint32_t flags)
{
    const void *pvGot = (const void *)1;
    uint32_t cbGot = 999, flGot = 999;
    JET_ERR err = rec_get(r->pb, r->cb, c, itag, &pvGot, &cbGot, &flGot);
    if (pv == NULL) {
        if (err != JET_wrnColumnNull || cbGot != 0) {
            fprintf(stderr, "col %u itag %u: expected NULL, got err %d cb %u\n", c->columnid, itag, err, cbGot);
            return 0;
        }
        return 1;
    }
    if (err != JET_errSuccess || cbGot != cb || (cb && memcmp(pvGot, pv, cb) != 0) || flGot != flags) {
        fprintf(stderr, "col %u itag %u: err %d cb %u/%u flags %u/%u\n", c->columnid, itag, err, cbGot, cb, flGot,
                flags);
        return 0;
    }
    return 1;
}

/* The format the model-based tests build records in (each runs for both). */
static uint32_t g_fmt = REC_FORMAT_V1;
static JET_ERR rec_new(rec_buf *r) { return rec_init_format(r, g_fmt); }

static int rec_equal(const rec_buf *r, const uint8_t *pb, uint32_t cb)
{
    return r->cb == cb && memcmp(r->pb, pb, cb) == 0;
}

/* ---- record: basics ---------------------------------------------------------- */

TEST(record_fixed_sizes)
{
    static const struct { JET_COLTYP t; uint32_t cb; } tab[] = {
        { JET_coltypBit, 1 }, { JET_coltypUnsignedByte, 1 }, { JET_coltypShort, 2 },
        { JET_coltypUnsignedShort, 2 }, { JET_coltypLong, 4 }, { JET_coltypUnsignedLong, 4 },
        { JET_coltypIEEESingle, 4 }, { JET_coltypCurrency, 8 }, { JET_coltypIEEEDouble, 8 },
        { JET_coltypDateTime, 8 }, { JET_coltypLongLong, 8 }, { JET_coltypUnsignedLongLong, 8 },
        { JET_coltypGUID, 16 }, { JET_coltypLongText, 0 }, { JET_coltypLongBinary, 0 }, { JET_coltypSLV, 0 },
        { JET_coltypNil, 0 },
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        rec_column c = mkcol(300, tab[i].t, 0, 0, 0);
        CHECK(rec_fixed_size(&c) == tab[i].cb);
    }
    rec_column c = mkcol(5, JET_coltypText, 10, JET_bitColumnFixed, 1252);
    CHECK(rec_fixed_size(&c) == 10);
    c = mkcol(5, JET_coltypBinary, 0, JET_bitColumnFixed, 0);
    CHECK(rec_fixed_size(&c) == 255);
    c = mkcol(300, JET_coltypBinary, 16, JET_bitColumnFixed, 0);
    CHECK(rec_fixed_size(&c) == 16);
    c = mkcol(200, JET_coltypText, 16, 0, 0); /* variable */
    CHECK(rec_fixed_size(&c) == 0);
    c = mkcol(5, JET_coltypBinary, 300, JET_bitColumnFixed, 0);
    CHECK(rec_fixed_size(&c) == 0);
}

TEST(record_empty_and_tiny)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    CHECK(r.cb <= 4);
    uint8_t empty[8];
    uint32_t cbEmpty = r.cb;
    memcpy(empty, r.pb, r.cb);
    rec_column c1 = mkcol(1, JET_coltypLong, 0, JET_bitColumnFixed, 0);
    rec_column cv = mkcol(128, JET_coltypText, 0, 0, 1252);
    rec_column ct = mkcol(256, JET_coltypLongBinary, 0, JET_bitColumnTagged, 0);
    CHECK(get_is(&r, &c1, 1, NULL, 0, 0));
    CHECK(get_is(&r, &cv, 1, NULL, 0, 0));
    CHECK(get_is(&r, &ct, 1, NULL, 0, 0));
    CHECK(rec_count(r.pb, r.cb, &c1) == 0 && rec_count(r.pb, r.cb, &ct) == 0);

    int32_t v = 42;
    CHECK_ERR(rec_set(&r, &c1, 0, &v, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK(r.cb <= 10); /* a record with only column 1 set is tiny */
    CHECK(get_is(&r, &c1, 1, &v, 4, 0));
    CHECK(rec_count(r.pb, r.cb, &c1) == 1);
    CHECK_ERR(rec_set(&r, &c1, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(rec_equal(&r, empty, cbEmpty)); /* trailing NULLs are trimmed: canonical */
    rec_free(&r);
    CHECK(r.pb == NULL);

    /* a zeroed rec_buf and a 0-byte record are an empty record */
    rec_buf z = { NULL, 0, 0 };
    CHECK(get_is(&z, &c1, 1, NULL, 0, 0));
    CHECK_ERR(rec_set(&z, &cv, 1, "x", 1, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&z, &cv, 1, "x", 1, 0));
    rec_free(&z);
}

static const JET_COLTYP fixed_types[] = {
    JET_coltypBit, JET_coltypUnsignedByte, JET_coltypShort, JET_coltypLong, JET_coltypCurrency,
    JET_coltypIEEESingle, JET_coltypIEEEDouble, JET_coltypDateTime, JET_coltypUnsignedLong, JET_coltypLongLong,
    JET_coltypGUID, JET_coltypUnsignedShort, JET_coltypUnsignedLongLong,
};
#define NFIXEDTYPES (sizeof(fixed_types) / sizeof(fixed_types[0]))

TEST(record_fixed_all_types)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column cols[NFIXEDTYPES + 2];
    uint8_t vals[NFIXEDTYPES + 2][32];
    uint32_t n = 0;
    for (uint32_t i = 0; i < NFIXEDTYPES; i++, n++)
        cols[n] = mkcol(n + 1, fixed_types[i], 0, JET_bitColumnFixed, 0);
    cols[n] = mkcol(n + 1, JET_coltypText, 7, JET_bitColumnFixed, 1252);
    n++;
    cols[n] = mkcol(127, JET_coltypBinary, 3, JET_bitColumnFixed, 0);
    n++;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cb = rec_fixed_size(&cols[i]);
        CHECK(cb > 0 && cb <= 32);
        for (uint32_t k = 0; k < cb; k++)
            vals[i][k] = (uint8_t)(i * 31 + k + 1);
        /* wrong sizes */
        CHECK_ERR(rec_set(&r, &cols[i], 1, vals[i], cb + 1, 0, NOLIMIT), JET_errInvalidBufferSize);
        CHECK_ERR(rec_set(&r, &cols[i], 1, vals[i], cb - 1, 0, NOLIMIT), JET_errInvalidBufferSize);
        CHECK_ERR(rec_set(&r, &cols[i], i % 2, vals[i], cb, 0, NOLIMIT), JET_errSuccess);
    }
    for (uint32_t i = 0; i < n; i++)
        CHECK(get_is(&r, &cols[i], 1, vals[i], rec_fixed_size(&cols[i]), 0));
    /* a fixed column in the middle set NULL, then replaced */
    CHECK_ERR(rec_set(&r, &cols[4], 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &cols[4], 1, NULL, 0, 0));
    CHECK(rec_count(r.pb, r.cb, &cols[4]) == 0);
    for (uint32_t i = 0; i < n; i++)
        if (i != 4)
            CHECK(get_is(&r, &cols[i], 1, vals[i], rec_fixed_size(&cols[i]), 0));
    vals[4][0] ^= 0xFF;
    CHECK_ERR(rec_set(&r, &cols[4], 1, vals[4], 8, 0, NOLIMIT), JET_errSuccess);
    for (uint32_t i = 0; i < n; i++)
        CHECK(get_is(&r, &cols[i], 1, vals[i], rec_fixed_size(&cols[i]), 0));
    /* itag other than 1 on a fixed column */
    CHECK_ERR(rec_set(&r, &cols[0], 2, vals[0], 1, 0, NOLIMIT), JET_errBadItagSequence);
    CHECK(get_is(&r, &cols[0], 2, NULL, 0, 0));
    /* a type that cannot be fixed */
    rec_column bad = mkcol(20, JET_coltypLongText, 0, 0, 0);
    CHECK_ERR(rec_set(&r, &bad, 1, "abc", 3, 0, NOLIMIT), JET_errInvalidColumnType);
    bad = mkcol(20, JET_coltypSLV, 0, 0, 0);
    CHECK_ERR(rec_set(&r, &bad, 1, "abc", 3, 0, NOLIMIT), JET_errInvalidColumnType);
    bad = mkcol(0, JET_coltypLong, 0, 0, 0);
    CHECK_ERR(rec_set(&r, &bad, 1, "abcd", 4, 0, NOLIMIT), JET_errBadColumnId);
    /* a schema that disagrees with the stored size is corruption, not an overread */
    rec_column wrong = mkcol(3, JET_coltypLongLong, 0, 0, 0); /* column 3 holds a Short */
    const void *pv;
    uint32_t cb;
    CHECK_ERR(rec_get(r.pb, r.cb, &wrong, 1, &pv, &cb, NULL), JET_errDatabaseCorrupted);
    rec_free(&r);
}

TEST(record_variable_columns)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column a = mkcol(128, JET_coltypText, 0, 0, 1252);
    rec_column b = mkcol(140, JET_coltypBinary, 10, 0, 0);
    rec_column z = mkcol(255, JET_coltypBinary, 0, 0, 0);
    uint8_t big[300];
    for (int i = 0; i < 300; i++)
        big[i] = (uint8_t)(i * 7);
    CHECK_ERR(rec_set(&r, &a, 1, big, 256, 0, NOLIMIT), JET_errColumnTooBig);
    CHECK_ERR(rec_set(&r, &a, 1, big, 255, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &b, 1, big, 11, 0, NOLIMIT), JET_errColumnTooBig);
    CHECK_ERR(rec_set(&r, &b, 1, big, 10, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &z, 1, "", 0, 0, NOLIMIT), JET_errSuccess); /* empty, not NULL */
    CHECK(get_is(&r, &a, 1, big, 255, 0));
    CHECK(get_is(&r, &b, 1, big, 10, 0));
    CHECK(get_is(&r, &z, 1, "", 0, 0));
    CHECK(rec_count(r.pb, r.cb, &z) == 1);
    rec_column mid = mkcol(200, JET_coltypText, 0, 0, 1252);
    CHECK(get_is(&r, &mid, 1, NULL, 0, 0));
    CHECK_ERR(rec_set(&r, &b, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &b, 1, NULL, 0, 0));
    CHECK(get_is(&r, &a, 1, big, 255, 0));
    CHECK(get_is(&r, &z, 1, "", 0, 0));
    uint32_t cbBefore = r.cb;
    CHECK_ERR(rec_set(&r, &z, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(r.cb + 2 * (255 - 128) <= cbBefore); /* trailing NULL entries trimmed */
    CHECK_ERR(rec_set(&r, &a, 1, "hello", 5, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &a, 1, "hello", 5, 0));
    rec_free(&r);
}

TEST(record_tagged_multivalues)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    uint8_t before[16];
    uint32_t cbBefore = r.cb;
    memcpy(before, r.pb, r.cb);
    rec_column mv = mkcol(300, JET_coltypText, 0, JET_bitColumnTagged | JET_bitColumnMultiValued, 1252);
    rec_column other = mkcol(256, JET_coltypLong, 0, JET_bitColumnTagged, 0);
    rec_column last = mkcol(65535, JET_coltypLongBinary, 0, JET_bitColumnTagged, 0);

    CHECK_ERR(rec_set(&r, &mv, 0, "one", 3, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &mv, 0, "two", 3, REC_TAG_SEPARATED, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &mv, 99, "three", 5, 0, NOLIMIT), JET_errSuccess); /* itag > count: append */
    CHECK_ERR(rec_set(&r, &mv, 0, "", 0, 0, NOLIMIT), JET_errSuccess);       /* empty value */
    CHECK(rec_count(r.pb, r.cb, &mv) == 4);
    CHECK(get_is(&r, &mv, 1, "one", 3, 0));
    CHECK(get_is(&r, &mv, 2, "two", 3, REC_TAG_SEPARATED));
    CHECK(get_is(&r, &mv, 3, "three", 5, 0));
    CHECK(get_is(&r, &mv, 4, "", 0, 0));
    CHECK(get_is(&r, &mv, 5, NULL, 0, 0));
    CHECK(get_is(&r, &mv, 0, "one", 3, 0)); /* itag 0 reads the first value */

    int32_t v = -5;
    CHECK_ERR(rec_set(&r, &other, 1, &v, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &other, 1, &v, 3, 0, NOLIMIT), JET_errInvalidBufferSize);
    CHECK_ERR(rec_set(&r, &last, 1, "lv-ref", 6, REC_TAG_SEPARATED, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &last, 1, "x", 1, 0x80, NOLIMIT), JET_errInvalidParameter);

    /* replace value 2 (flags replaced too) */
    CHECK_ERR(rec_set(&r, &mv, 2, "TWO!", 4, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &mv, 2, "TWO!", 4, 0));
    CHECK(rec_count(r.pb, r.cb, &mv) == 4);
    /* remove value 1: later values shift down */
    CHECK_ERR(rec_set(&r, &mv, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(rec_count(r.pb, r.cb, &mv) == 3);
    CHECK(get_is(&r, &mv, 1, "TWO!", 4, 0));
    CHECK(get_is(&r, &mv, 2, "three", 5, 0));
    CHECK(get_is(&r, &mv, 3, "", 0, 0));
    /* removing a value that does not exist is a no-op */
    CHECK_ERR(rec_set(&r, &mv, 7, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &mv, 0, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(rec_count(r.pb, r.cb, &mv) == 3);
    CHECK(get_is(&r, &other, 1, &v, 4, 0));
    CHECK(get_is(&r, &last, 1, "lv-ref", 6, REC_TAG_SEPARATED));
    /* remove everything: back to the identical empty record */
    CHECK_ERR(rec_set(&r, &mv, 3, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &mv, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &mv, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(rec_count(r.pb, r.cb, &mv) == 0);
    CHECK(get_is(&r, &mv, 1, NULL, 0, 0));
    CHECK_ERR(rec_set(&r, &other, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &last, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(rec_equal(&r, before, cbBefore));
    rec_free(&r);
}

TEST(record_tagged_every_type)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column cols[NFIXEDTYPES + 4];
    uint8_t vals[NFIXEDTYPES + 4][64];
    uint32_t cbs[NFIXEDTYPES + 4];
    uint32_t n = 0;
    for (uint32_t i = 0; i < NFIXEDTYPES; i++, n++) {
        cols[n] = mkcol(1000 - 7 * n, fixed_types[i], 0, JET_bitColumnTagged, 0);
        cbs[n] = rec_fixed_size(&cols[n]);
    }
    cols[n] = mkcol(5000, JET_coltypText, 0, JET_bitColumnTagged, 1200);
    cbs[n++] = 40;
    cols[n] = mkcol(5001, JET_coltypBinary, 0, JET_bitColumnTagged, 0);
    cbs[n++] = 0;
    cols[n] = mkcol(5002, JET_coltypLongText, 0, JET_bitColumnTagged, 1252);
    cbs[n++] = 64;
    cols[n] = mkcol(5003, JET_coltypLongBinary, 0, JET_bitColumnTagged, 0);
    cbs[n++] = 33;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t k = 0; k < cbs[i]; k++)
            vals[i][k] = (uint8_t)rnd();
        CHECK_ERR(rec_set(&r, &cols[i], 0, vals[i], cbs[i], 0, NOLIMIT), JET_errSuccess);
    }
    for (uint32_t i = 0; i < n; i++) {
        CHECK(get_is(&r, &cols[i], 1, vals[i], cbs[i], 0));
        CHECK(rec_count(r.pb, r.cb, &cols[i]) == 1);
    }
    /* Text/Binary tagged columns default to 255 bytes; cbMax limits */
    uint8_t big[300] = { 0 };
    CHECK_ERR(rec_set(&r, &cols[n - 4], 0, big, 256, 0, NOLIMIT), JET_errColumnTooBig);
    rec_column lim = mkcol(6000, JET_coltypLongBinary, 100, JET_bitColumnTagged, 0);
    CHECK_ERR(rec_set(&r, &lim, 0, big, 101, 0, NOLIMIT), JET_errColumnTooBig);
    CHECK_ERR(rec_set(&r, &lim, 0, big, 100, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &lim, 0, big, 200, REC_TAG_SEPARATED, NOLIMIT), JET_errSuccess); /* a reference */
    CHECK(rec_count(r.pb, r.cb, &lim) == 2);
    rec_free(&r);
}

TEST(record_big_values_and_limits)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column lv = mkcol(400, JET_coltypLongBinary, 0, JET_bitColumnTagged | JET_bitColumnMultiValued, 0);
    rec_column fx = mkcol(2, JET_coltypLongLong, 0, JET_bitColumnFixed, 0);
    uint32_t cbBig = 1 << 20;
    uint8_t *big = malloc(cbBig);
    CHECK(big != NULL);
    for (uint32_t i = 0; i < cbBig; i++)
        big[i] = (uint8_t)(i * 13 + (i >> 9));
    CHECK_ERR(rec_set(&r, &lv, 0, big, cbBig, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &lv, 0, big + 5, 70000, 0, NOLIMIT), JET_errSuccess);
    int64_t x = 0x1122334455667788ll;
    CHECK_ERR(rec_set(&r, &fx, 1, &x, 8, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &lv, 1, big, cbBig, 0));
    CHECK(get_is(&r, &lv, 2, big + 5, 70000, 0));
    CHECK(get_is(&r, &fx, 1, &x, 8, 0));
    /* shrinking an oversized record is allowed, growing it is not */
    uint8_t *copy = malloc(r.cb);
    uint32_t cbCopy = r.cb;
    memcpy(copy, r.pb, r.cb);
    CHECK_ERR(rec_set(&r, &lv, 0, "a", 1, 0, 8000), JET_errRecordTooBig);
    CHECK(rec_equal(&r, copy, cbCopy));
    CHECK_ERR(rec_set(&r, &lv, 1, "ref", 3, REC_TAG_SEPARATED, 8000), JET_errSuccess);
    CHECK(get_is(&r, &lv, 1, "ref", 3, REC_TAG_SEPARATED));
    CHECK(get_is(&r, &lv, 2, big + 5, 70000, 0));
    CHECK_ERR(rec_set(&r, &lv, 2, NULL, 0, 0, 8000), JET_errSuccess);
    CHECK(r.cb < 8000);
    /* now within limits: growing beyond cbRecMax fails, up to it works */
    uint32_t cbNow = r.cb;
    CHECK_ERR(rec_set(&r, &lv, 0, big, 8000, 0, 8000), JET_errRecordTooBig);
    CHECK(r.cb == cbNow);
    CHECK_ERR(rec_set(&r, &lv, 0, big, 100, 0, cbNow + 105), JET_errSuccess);
    CHECK(r.cb == cbNow + 105); /* 5 bytes of value header */
    rec_column vv = mkcol(129, JET_coltypBinary, 0, 0, 0);
    CHECK_ERR(rec_set(&r, &vv, 1, big, 10, 0, r.cb), JET_errRecordTooBig);
    free(copy);
    free(big);
    rec_free(&r);
}

TEST(record_self_aliasing_and_oom)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column mv = mkcol(300, JET_coltypBinary, 0, JET_bitColumnTagged | JET_bitColumnMultiValued, 0);
    rec_column vc = mkcol(130, JET_coltypBinary, 0, 0, 0);
    CHECK_ERR(rec_set(&r, &mv, 0, "abcdefgh", 8, 0, NOLIMIT), JET_errSuccess);
    const void *pv;
    uint32_t cb;
    CHECK_ERR(rec_get(r.pb, r.cb, &mv, 1, &pv, &cb, NULL), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &mv, 0, pv, cb, 0, NOLIMIT), JET_errSuccess); /* value points into the record */
    CHECK_ERR(rec_get(r.pb, r.cb, &mv, 2, &pv, &cb, NULL), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &vc, 1, pv, cb, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &mv, 2, "abcdefgh", 8, 0));
    CHECK(get_is(&r, &vc, 1, "abcdefgh", 8, 0));
    CHECK_ERR(rec_get(r.pb, r.cb, &vc, 1, &pv, &cb, NULL), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &mv, 1, (const uint8_t *)pv + 2, 3, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &mv, 1, "cde", 3, 0));

    uint8_t copy[256];
    uint32_t cbCopy = r.cb;
    memcpy(copy, r.pb, r.cb);
    for (uint32_t n = 1; n <= 3; n++) {
        os_fault_alloc(n, 0);
        JET_ERR err = rec_set(&r, &mv, 0, "zz", 2, 0, NOLIMIT);
        os_fault_alloc(0, 0);
        if (err == JET_errSuccess)
            break;
        CHECK_ERR(err, JET_errOutOfMemory);
        CHECK(rec_equal(&r, copy, cbCopy));
    }
    CHECK(get_is(&r, &mv, 3, "zz", 2, 0));
    os_fault_alloc(1, 0);
    rec_buf r2;
    CHECK_ERR(rec_init(&r2), JET_errOutOfMemory);
    os_fault_alloc(0, 0);
    rec_free(&r);
}

struct enum_item { JET_COLUMNID col; uint32_t itag; char val[16]; uint32_t cb; uint32_t flags; };
struct enum_ctx { struct enum_item items[64]; int n; int stopAt; };

static JET_ERR enum_cb(void *ctx, JET_COLUMNID columnid, uint32_t itag, const void *pv, uint32_t cb, uint32_t flags)
{
    struct enum_ctx *e = ctx;
    if (e->n == e->stopAt)
        return -12345;
    struct enum_item *it = &e->items[e->n++];
    it->col = columnid;
    it->itag = itag;
    it->cb = cb;
    it->flags = flags;
    memcpy(it->val, pv, cb < 16 ? cb : 16);
    return 0;
}

/* R-VALID: rec_set_valid / rec_get_valid / rec_count_valid give exactly what
 * rec_set / rec_get / rec_count give on a record checked once (rec_set's
 * tagged edit copies the columns around the edited one in bulk: inserting
 * before, between and after columns, replacing, growing, shrinking and
 * removing values of multi-valued columns), and rec_check still finds a
 * damaged tagged block that the _valid reads do not look at. */
TEST(record_valid_path_matches_checked_path)
{
    rnd_seed(77);
    enum { NCOL = 40, STEPS = 2000 };
    rec_column cols[NCOL];
    for (uint32_t i = 0; i < NCOL; i++)
        cols[i] = mkcol(256 + 7 * i, JET_coltypLongBinary, 0, JET_bitColumnTagged | JET_bitColumnMultiValued, 0);
    rec_column fx = mkcol(1, JET_coltypLong, 0, JET_bitColumnFixed, 0);
    rec_column vr = mkcol(128, JET_coltypBinary, 100, 0, 0);
    rec_buf a = { 0 }, b = { 0 };
    CHECK_ERR(rec_init_format(&a, REC_FORMAT_V2), JET_errSuccess);
    CHECK_ERR(rec_init_format(&b, REC_FORMAT_V2), JET_errSuccess);
    uint8_t val[64];
    for (int step = 0; step < STEPS; step++) {
        uint32_t k = rndn(NCOL + 2), cb = rndn(64), op = rndn(4);
        for (uint32_t j = 0; j < cb; j++)
            val[j] = (uint8_t)rnd();
        const rec_column *c = k < NCOL ? &cols[k] : k == NCOL ? &fx : &vr;
        if (c == &fx)
            cb = 4;
        else if (c == &vr && cb > 100)
            cb %= 101;
        uint32_t itag = c->columnid >= 256 ? rndn(4) : 1; /* 0: append */
        const void *pv = op == 0 ? NULL : val;             /* NULL: remove (value itag) */
        uint32_t flags = c->columnid >= 256 && op == 3 ? REC_TAG_SEPARATED : 0;
        JET_ERR ea = rec_set(&a, c, itag, pv, cb, flags, NOLIMIT);
        JET_ERR eb = rec_set_valid(&b, c, itag, pv, cb, flags, NOLIMIT);
        CHECK_ERR(eb, ea);
        CHECK(a.cb == b.cb && memcmp(a.pb, b.pb, a.cb) == 0);
        CHECK_ERR(rec_check(b.pb, b.cb), JET_errSuccess);
        for (uint32_t i = 0; i < NCOL; i += 3) {
            CHECK(rec_count_valid(b.pb, b.cb, &cols[i]) == rec_count(a.pb, a.cb, &cols[i]));
            const void *p1 = NULL, *p2 = NULL;
            uint32_t c1 = 0, c2 = 0, f1 = 0, f2 = 0;
            CHECK_ERR(rec_get_valid(b.pb, b.cb, &cols[i], 2, &p2, &c2, &f2),
                      rec_get(a.pb, a.cb, &cols[i], 2, &p1, &c1, &f1));
            CHECK(c1 == c2 && f1 == f2 && (c1 == 0 || memcmp(p1, p2, c1) == 0));
        }
    }
    /* a damaged value size inside a tagged block: only the whole check sees it */
    CHECK_ERR(rec_set(&a, &cols[0], 1, "abc", 3, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&a, &cols[NCOL - 1], 1, "xyz", 3, 0, NOLIMIT), JET_errSuccess);
    uint32_t ibTagged = 0;
    CHECK_ERR(rec_tagged_split(a.pb, a.cb, &ibTagged), JET_errSuccess);
    uint32_t cTag = le_get16(a.pb + ibTagged);
    uint8_t *pdata = a.pb + ibTagged + 2 + 8 * cTag; /* column 0's block: its first value header */
    CHECK(le_get32(pdata + 1) == 3);
    le_put32(pdata + 1, 2);
    CHECK_ERR(rec_check(a.pb, a.cb), JET_errDatabaseCorrupted);
    CHECK_ERR(rec_set(&a, &cols[5], 1, "q", 1, 0, NOLIMIT), JET_errDatabaseCorrupted);
    /* the directory's bounds stay checked on the _valid path */
    le_put32(pdata + 1, 3);
    uint8_t *plast = a.pb + ibTagged + 2 + 8 * (cTag - 1) + 4;
    le_put32(plast, le_get32(plast) + 1);
    const void *pv = NULL;
    uint32_t cbv = 0;
    CHECK_ERR(rec_get_valid(a.pb, a.cb, &cols[0], 1, &pv, &cbv, NULL), JET_errDatabaseCorrupted);
    CHECK_ERR(rec_set_valid(&a, &cols[5], 1, "q", 1, 0, NOLIMIT), JET_errDatabaseCorrupted);
    rec_free(&a);
    rec_free(&b);
}

TEST(record_enumerate_tagged)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column a = mkcol(700, JET_coltypText, 0, JET_bitColumnTagged | JET_bitColumnMultiValued, 1252);
    rec_column b = mkcol(256, JET_coltypBinary, 0, JET_bitColumnTagged, 0);
    rec_column c = mkcol(40000, JET_coltypLongText, 0, JET_bitColumnTagged | JET_bitColumnMultiValued, 1252);
    rec_column f = mkcol(3, JET_coltypBit, 0, 0, 0);
    CHECK_ERR(rec_set(&r, &a, 0, "a1", 2, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &c, 0, "c1", 2, REC_TAG_SEPARATED, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &b, 0, "b1", 2, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &a, 0, "a2", 2, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &f, 0, "\1", 1, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &c, 0, "c2", 2, 0, NOLIMIT), JET_errSuccess);
    struct enum_ctx e;
    memset(&e, 0, sizeof(e));
    e.stopAt = -1;
    CHECK_ERR(rec_enum_tagged(r.pb, r.cb, enum_cb, &e), JET_errSuccess);
    CHECK(e.n == 5);
    static const struct { JET_COLUMNID col; uint32_t itag; const char *v; uint32_t flags; } want[] = {
        { 256, 1, "b1", 0 }, { 700, 1, "a1", 0 }, { 700, 2, "a2", 0 },
        { 40000, 1, "c1", REC_TAG_SEPARATED }, { 40000, 2, "c2", 0 },
    };
    for (int i = 0; i < 5; i++) {
        CHECK(e.items[i].col == want[i].col && e.items[i].itag == want[i].itag);
        CHECK(e.items[i].cb == 2 && memcmp(e.items[i].val, want[i].v, 2) == 0);
        CHECK(e.items[i].flags == want[i].flags);
    }
    memset(&e, 0, sizeof(e));
    e.stopAt = 2;
    CHECK_ERR(rec_enum_tagged(r.pb, r.cb, enum_cb, &e), -12345);
    CHECK(e.n == 2);
    /* no tagged columns */
    rec_buf r2;
    CHECK_ERR(rec_init(&r2), JET_errSuccess);
    memset(&e, 0, sizeof(e));
    e.stopAt = -1;
    CHECK_ERR(rec_enum_tagged(r2.pb, r2.cb, enum_cb, &e), JET_errSuccess);
    CHECK(e.n == 0);
    rec_free(&r2);
    rec_free(&r);
}

/* ---- record: random differential test against a model ------------------- */

#define M_NFIXED 12
#define M_NVAR 8
#define M_NTAG 8
#define M_MAXVALS 12
#define M_CBMAX 80

typedef struct mval { int present; uint32_t cb; uint32_t flags; uint8_t b[M_CBMAX]; } mval;
typedef struct model {
    rec_column fixed[M_NFIXED];
    rec_column var[M_NVAR];
    rec_column tag[M_NTAG];
    mval fv[M_NFIXED];
    mval vv[M_NVAR];
    mval tv[M_NTAG][M_MAXVALS];
    uint32_t tcount[M_NTAG];
} model;

static void model_init(model *m)
{
    memset(m, 0, sizeof(*m));
    static const JET_COLTYP ft[M_NFIXED] = {
        JET_coltypLong, JET_coltypBit, JET_coltypGUID, JET_coltypShort, JET_coltypIEEEDouble,
        JET_coltypText, JET_coltypUnsignedByte, JET_coltypCurrency, JET_coltypBinary, JET_coltypLongLong,
        JET_coltypUnsignedShort, JET_coltypIEEESingle,
    };
    static const JET_COLUMNID fid[M_NFIXED] = { 1, 2, 3, 5, 8, 9, 10, 20, 50, 100, 126, 127 };
    for (int i = 0; i < M_NFIXED; i++)
        m->fixed[i] = mkcol(fid[i], ft[i], (ft[i] == JET_coltypText || ft[i] == JET_coltypBinary) ? 1 + i : 0,
                            JET_bitColumnFixed, 1252);
    static const JET_COLUMNID vid[M_NVAR] = { 128, 129, 131, 140, 180, 200, 254, 255 };
    for (int i = 0; i < M_NVAR; i++)
        m->var[i] = mkcol(vid[i], i % 2 ? JET_coltypBinary : JET_coltypText, i % 3 ? 0 : 40, 0, 1252);
    static const JET_COLUMNID tid[M_NTAG] = { 256, 257, 300, 1000, 1001, 20000, 65000, 65535 };
    static const JET_COLTYP tt[M_NTAG] = {
        JET_coltypLongBinary, JET_coltypText, JET_coltypLong, JET_coltypLongText, JET_coltypBinary,
        JET_coltypGUID, JET_coltypLongBinary, JET_coltypUnsignedByte,
    };
    for (int i = 0; i < M_NTAG; i++)
        m->tag[i] = mkcol(tid[i], tt[i], 0, JET_bitColumnTagged | JET_bitColumnMultiValued, 1252);
}

static int model_check(const model *m, const rec_buf *r)
{
    for (int i = 0; i < M_NFIXED; i++) {
        if (!get_is(r, &m->fixed[i], 1, m->fv[i].present ? m->fv[i].b : NULL, m->fv[i].cb, 0))
            return 0;
        if (rec_count(r->pb, r->cb, &m->fixed[i]) != (uint32_t)m->fv[i].present)
            return 0;
    }
    for (int i = 0; i < M_NVAR; i++)
        if (!get_is(r, &m->var[i], 1, m->vv[i].present ? m->vv[i].b : NULL, m->vv[i].cb, 0))
            return 0;
    for (int i = 0; i < M_NTAG; i++) {
        if (rec_count(r->pb, r->cb, &m->tag[i]) != m->tcount[i])
            return 0;
        for (uint32_t k = 0; k <= m->tcount[i]; k++) {
            const mval *v = k < m->tcount[i] ? &m->tv[i][k] : NULL;
            if (!get_is(r, &m->tag[i], k + 1, v ? v->b : NULL, v ? v->cb : 0, v ? v->flags : 0))
                return 0;
        }
    }
    return 1;
}

struct model_enum { const model *m; int iCol; uint32_t itag; int ok; };
static JET_ERR model_enum_cb(void *ctx, JET_COLUMNID col, uint32_t itag, const void *pv, uint32_t cb, uint32_t flags)
{
    struct model_enum *e = ctx;
    const model *m = e->m;
    /* advance to the next column with values */
    while (e->iCol < M_NTAG && e->itag >= m->tcount[e->iCol]) {
        e->iCol++;
        e->itag = 0;
    }
    if (e->iCol >= M_NTAG || m->tag[e->iCol].columnid != col || e->itag + 1 != itag) {
        e->ok = 0;
        return -1;
    }
    const mval *v = &m->tv[e->iCol][e->itag++];
    if (v->cb != cb || (cb && memcmp(v->b, pv, cb)) || v->flags != flags) {
        e->ok = 0;
        return -1;
    }
    return 0;
}

static int model_check_enum(const model *m, const rec_buf *r)
{
    struct model_enum e = { m, 0, 0, 1 };
    if (rec_enum_tagged(r->pb, r->cb, model_enum_cb, &e) != JET_errSuccess || !e.ok)
        return 0;
    while (e.iCol < M_NTAG && e.itag >= m->tcount[e.iCol]) {
        e.iCol++;
        e.itag = 0;
    }
    return e.iCol == M_NTAG;
}

/* Build the record of the model from scratch, columns in a random order. */
static JET_ERR model_build(const model *m, rec_buf *out)
{
    JET_ERR err = rec_new(out);
    if (err < 0)
        return err;
    int order[M_NFIXED + M_NVAR + M_NTAG];
    int n = M_NFIXED + M_NVAR + M_NTAG;
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rndn((uint32_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int k = 0; k < n && err >= 0; k++) {
        int i = order[k];
        if (i < M_NFIXED) {
            if (m->fv[i].present)
                err = rec_set(out, &m->fixed[i], 1, m->fv[i].b, m->fv[i].cb, 0, NOLIMIT);
        } else if (i < M_NFIXED + M_NVAR) {
            i -= M_NFIXED;
            if (m->vv[i].present)
                err = rec_set(out, &m->var[i], 1, m->vv[i].b, m->vv[i].cb, 0, NOLIMIT);
        } else {
            i -= M_NFIXED + M_NVAR;
            for (uint32_t v = 0; v < m->tcount[i] && err >= 0; v++)
                err = rec_set(out, &m->tag[i], 0, m->tv[i][v].b, m->tv[i][v].cb, m->tv[i][v].flags, NOLIMIT);
        }
    }
    return err;
}

static void rnd_bytes(uint8_t *p, uint32_t cb)
{
    if (rndn(4) == 0) { /* zero-filled values make damaged headers look plausible */
        memset(p, 0, cb);
        return;
    }
    for (uint32_t i = 0; i < cb; i++)
        p[i] = (uint8_t)rnd();
}

/* One random rec_set against record and model.  Returns 0 on a mismatch. */
static int model_step(model *m, rec_buf *r, uint32_t cbRecMax)
{
    uint8_t buf[M_CBMAX + 8];
    uint32_t kind = rndn(10);
    int fNull = rndn(4) == 0;
    uint8_t *copy = malloc(r->cb ? r->cb : 1);
    uint32_t cbCopy = r->cb;
    memcpy(copy, r->pb, r->cb);
    JET_ERR want = JET_errSuccess, got;
    int ok = 1;
    if (kind < 3) {
        int i = (int)rndn(M_NFIXED);
        uint32_t cb = rec_fixed_size(&m->fixed[i]);
        if (rndn(20) == 0) {
            cb += 1 + rndn(3);
            want = JET_errInvalidBufferSize;
            fNull = 0;
        }
        rnd_bytes(buf, cb);
        got = rec_set(r, &m->fixed[i], rndn(2), fNull ? NULL : buf, cb, 0, cbRecMax);
        if (got == JET_errSuccess && want == JET_errSuccess) {
            m->fv[i].present = !fNull;
            m->fv[i].cb = fNull ? 0 : cb;
            memcpy(m->fv[i].b, buf, cb);
        }
    } else if (kind < 5) {
        int i = (int)rndn(M_NVAR);
        uint32_t cbMax = m->var[i].cbMax ? m->var[i].cbMax : 255;
        if (cbMax > M_CBMAX)
            cbMax = M_CBMAX;
        uint32_t cb = rndn(cbMax + 1);
        if (m->var[i].cbMax && rndn(20) == 0) {
            cb = m->var[i].cbMax + 1;
            want = JET_errColumnTooBig;
            fNull = 0;
        }
        rnd_bytes(buf, cb);
        got = rec_set(r, &m->var[i], rndn(2), fNull ? NULL : buf, cb, 0, cbRecMax);
        if (got == JET_errSuccess && want == JET_errSuccess) {
            m->vv[i].present = !fNull;
            m->vv[i].cb = fNull ? 0 : cb;
            memcpy(m->vv[i].b, buf, cb);
        }
    } else {
        int i = (int)rndn(M_NTAG);
        uint32_t cbType = rec_fixed_size(&m->tag[i]);
        uint32_t cb = cbType ? cbType : rndn(M_CBMAX + 1);
        uint32_t flags = (cbType == 0 && rndn(3) == 0) ? REC_TAG_SEPARATED : 0;
        uint32_t cnt = m->tcount[i];
        uint32_t itag = rndn(cnt + 3);
        if (!fNull && (itag == 0 || itag > cnt) && cnt == M_MAXVALS)
            itag = 1 + rndn(cnt); /* keep the model bounded: replace instead */
        rnd_bytes(buf, cb);
        got = rec_set(r, &m->tag[i], itag, fNull ? NULL : buf, cb, flags, cbRecMax);
        if (got == JET_errSuccess) {
            if (fNull) {
                if (itag >= 1 && itag <= cnt) {
                    memmove(&m->tv[i][itag - 1], &m->tv[i][itag], sizeof(mval) * (cnt - itag));
                    m->tcount[i]--;
                }
            } else {
                mval *v = (itag == 0 || itag > cnt) ? &m->tv[i][m->tcount[i]++] : &m->tv[i][itag - 1];
                v->present = 1;
                v->cb = cb;
                v->flags = flags;
                memcpy(v->b, buf, cb);
            }
        }
    }
    if (got == JET_errRecordTooBig && want == JET_errSuccess) {
        if (!rec_equal(r, copy, cbCopy))
            ok = 0;
    } else if (got != want) {
        fprintf(stderr, "model_step: kind %u got %d want %d\n", kind, got, want);
        ok = 0;
    } else if (want != JET_errSuccess && !rec_equal(r, copy, cbCopy)) {
        ok = 0;
    }
    if (r->cb > cbRecMax && r->cb > cbCopy)
        ok = 0;
    free(copy);
    return ok;
}

static void record_random_differential(void);
TEST(record_random_differential)
{
    g_fmt = REC_FORMAT_V1;
    record_random_differential();
}
TEST(record_random_differential_v2)
{
    g_fmt = REC_FORMAT_V2;
    record_random_differential();
    g_fmt = REC_FORMAT_V1;
}
static void record_random_differential(void)
{
    rnd_seed(12345);
    for (int round = 0; round < 4; round++) {
        model *m = malloc(sizeof(model));
        CHECK(m != NULL);
        model_init(m);
        rec_buf r;
        CHECK_ERR(rec_new(&r), JET_errSuccess);
        CHECK(r.pb[0] == (g_fmt == REC_FORMAT_V2 ? 0x02 : 0x01));
        uint32_t cbRecMax = round == 0 ? NOLIMIT : 600 + 700 * (uint32_t)round;
        int failed = 0;
        for (int op = 0; op < 2500 && !failed; op++) {
            if (!model_step(m, &r, cbRecMax) || !model_check(m, &r) || !model_check_enum(m, &r)) {
                fprintf(stderr, "differential mismatch: round %d op %d\n", round, op);
                failed = 1;
                break;
            }
            if (op % 50 == 0) {
                rec_buf b;
                if (model_build(m, &b) != JET_errSuccess || !rec_equal(&r, b.pb, b.cb)) {
                    fprintf(stderr, "canonical mismatch: round %d op %d\n", round, op);
                    failed = 1;
                }
                rec_free(&b);
            }
        }
        rec_free(&r);
        free(m);
        CHECK(!failed);
    }
}

/* ---- record: fuzzing rec_get / rec_count / rec_enum_tagged ----------------- */

static volatile uint32_t fuzz_sink;

static JET_ERR fuzz_enum_cb(void *ctx, JET_COLUMNID col, uint32_t itag, const void *pv, uint32_t cb, uint32_t flags)
{
    (void)ctx;
    const uint8_t *p = pv;
    uint32_t s = col + itag + flags;
    for (uint32_t i = 0; i < cb; i++)
        s += p[i];
    fuzz_sink += s;
    return 0;
}

static const rec_column *fuzz_cols(int *pn)
{
    static rec_column cols[40];
    static int n;
    if (n == 0) {
        for (int i = 0; i < 8; i++)
            cols[n++] = mkcol(1 + i, fixed_types[i % NFIXEDTYPES], 0, JET_bitColumnFixed, 0);
        cols[n++] = mkcol(9, JET_coltypText, 5, JET_bitColumnFixed, 1252);
        cols[n++] = mkcol(127, JET_coltypLong, 0, JET_bitColumnFixed, 0);
        for (int i = 0; i < 8; i++)
            cols[n++] = mkcol(128 + i, JET_coltypBinary, 0, 0, 0);
        cols[n++] = mkcol(255, JET_coltypText, 0, 0, 1252);
        for (int i = 0; i < 8; i++)
            cols[n++] = mkcol(256 + i, JET_coltypLongBinary, 0, JET_bitColumnTagged, 0);
        cols[n++] = mkcol(300, JET_coltypLong, 0, JET_bitColumnTagged, 0);
        cols[n++] = mkcol(1000, JET_coltypText, 0, JET_bitColumnTagged, 1252);
        cols[n++] = mkcol(65535, JET_coltypBinary, 0, JET_bitColumnTagged, 0);
        cols[n++] = mkcol(513, JET_coltypLongText, 0, JET_bitColumnTagged, 0);
    }
    *pn = n;
    return cols;
}

/* Run every reader over an exact-size heap copy of (pb, cb). */
static void fuzz_one(const uint8_t *pb, uint32_t cb)
{
    uint8_t *p = malloc(cb ? cb : 1);
    memcpy(p, pb, cb);
    int n;
    const rec_column *cols = fuzz_cols(&n);
    for (int i = 0; i < n; i++) {
        for (uint32_t itag = 0; itag < 4; itag++) {
            const void *pv;
            uint32_t cbv, fl;
            JET_ERR err = rec_get(p, cb, &cols[i], itag, &pv, &cbv, &fl);
            if (err == JET_errSuccess) {
                const uint8_t *q = pv;
                uint32_t s = 0;
                for (uint32_t k = 0; k < cbv; k++)
                    s += q[k];
                fuzz_sink += s;
            }
        }
        fuzz_sink += rec_count(p, cb, &cols[i]);
    }
    fuzz_sink += (uint32_t)rec_enum_tagged(p, cb, fuzz_enum_cb, NULL);
    /* and an update on top of it */
    rec_buf r = { p, cb, cb };
    const rec_column *c = &cols[rndn((uint32_t)n)];
    uint8_t v[16] = { 1, 2, 3 };
    uint32_t cbv = rec_fixed_size(c) ? rec_fixed_size(c) : rndn(16);
    JET_ERR err = rec_set(&r, c, rndn(3), rndn(3) ? v : NULL, cbv, 0, NOLIMIT);
    if (err == JET_errSuccess) {
        fuzz_sink += rec_count(r.pb, r.cb, c);
        os_free(r.pb);
    } else {
        free(p);
    }
}

TEST(record_fuzz_garbage)
{
    rnd_seed(777);
    uint8_t buf[400];
    for (int it = 0; it < 20000; it++) {
        uint32_t cb = rndn(it % 10 == 0 ? 400 : 64);
        rnd_bytes(buf, cb);
        if (cb >= 4 && rndn(4)) { /* plausible header so parsing gets further */
            buf[0] = 1;
            buf[3] = 0;
            buf[1] = (uint8_t)rndn(12);
            buf[2] = (uint8_t)rndn(6);
            if (rndn(2))
                for (uint32_t k = 4; k < cb && k < 4u + buf[1]; k++)
                    buf[k] = (uint8_t)rndn(9);
        }
        fuzz_one(buf, cb);
    }
    CHECK(1);
}

static void record_fuzz_mutations(void);
TEST(record_fuzz_mutations)
{
    g_fmt = REC_FORMAT_V1;
    record_fuzz_mutations();
}
TEST(record_fuzz_mutations_v2)
{
    g_fmt = REC_FORMAT_V2;
    record_fuzz_mutations();
    g_fmt = REC_FORMAT_V1;
}
static void record_fuzz_mutations(void)
{
    rnd_seed(4242);
    model *m = malloc(sizeof(model));
    CHECK(m != NULL);
    for (int rec = 0; rec < 60; rec++) {
        model_init(m);
        rec_buf r;
        CHECK_ERR(rec_new(&r), JET_errSuccess);
        int nops = (int)rndn(60);
        for (int k = 0; k < nops; k++)
            model_step(m, &r, NOLIMIT);
        uint8_t *mut = malloc(r.cb + 64);
        for (int it = 0; it < 300; it++) {
            uint32_t cb = r.cb;
            memcpy(mut, r.pb, r.cb);
            uint32_t nmut = 1 + rndn(4);
            for (uint32_t k = 0; k < nmut; k++) {
                switch (rndn(6)) {
                case 0: case 1: /* flip a byte */
                    if (cb)
                        mut[rndn(cb)] ^= (uint8_t)(1 + rndn(255));
                    break;
                case 2: /* small arithmetic change (offsets, counts) */
                    if (cb)
                        mut[rndn(cb)] += (uint8_t)(rndn(2) ? 1 : -1);
                    break;
                case 3: /* truncate */
                    cb = rndn(cb + 1);
                    break;
                case 4: /* extend */
                    if (cb + 8 <= r.cb + 64) {
                        rnd_bytes(mut + cb, 8);
                        cb += rndn(9);
                    }
                    break;
                default: /* header fields */
                    if (cb >= 3)
                        mut[1 + rndn(2)] = (uint8_t)rndn(256);
                    break;
                }
            }
            fuzz_one(mut, cb);
        }
        free(mut);
        rec_free(&r);
    }
    free(m);
    CHECK(1);
}

/* Every byte of valid records set to each of a few values, and 16/32-bit
 * fields set to large values: the readers must stay in bounds.  Also: a valid
 * record that loses or gains one byte is always detected as corrupt. */
static void record_fuzz_exhaustive_single_byte(void);
TEST(record_fuzz_exhaustive_single_byte)
{
    g_fmt = REC_FORMAT_V1;
    record_fuzz_exhaustive_single_byte();
}
TEST(record_fuzz_exhaustive_single_byte_v2)
{
    g_fmt = REC_FORMAT_V2;
    record_fuzz_exhaustive_single_byte();
    g_fmt = REC_FORMAT_V1;
}
static void record_fuzz_exhaustive_single_byte(void)
{
    rnd_seed(5150);
    model *m = malloc(sizeof(model));
    CHECK(m != NULL);
    for (int rec = 0; rec < 8; rec++) {
        model_init(m);
        rec_buf r;
        CHECK_ERR(rec_new(&r), JET_errSuccess);
        int nops = 5 + (int)rndn(25);
        for (int k = 0; k < nops; k++)
            model_step(m, &r, 500);
        uint8_t *mut = malloc(r.cb + 1);
        static const uint8_t vals[] = { 0x00, 0x01, 0x02, 0x05, 0x7F, 0x80, 0xFE, 0xFF };
        for (uint32_t ib = 0; ib < r.cb; ib++) {
            for (size_t v = 0; v < sizeof(vals) + 2; v++) {
                memcpy(mut, r.pb, r.cb);
                if (v < sizeof(vals))
                    mut[ib] = vals[v];
                else
                    mut[ib] = (uint8_t)(mut[ib] + (v == sizeof(vals) ? 1 : -1));
                fuzz_one(mut, r.cb);
            }
            if (ib + 4 <= r.cb) {
                static const uint32_t big[] = { 0xFFFFFFFFu, 0x7FFFFFFFu, 0x0000FFFFu, 0x00010000u };
                for (size_t v = 0; v < 4; v++) {
                    memcpy(mut, r.pb, r.cb);
                    memcpy(mut + ib, &big[v], 4);
                    fuzz_one(mut, r.cb);
                }
            }
        }
        /* one byte less / one byte more */
        memcpy(mut, r.pb, r.cb);
        mut[r.cb] = 0;
        uint32_t cbs[2] = { r.cb - 1, r.cb + 1 };
        for (int k = 0; k < 2; k++) {
            uint8_t *q = malloc(cbs[k]);
            memcpy(q, mut, cbs[k]);
            CHECK_ERR(rec_enum_tagged(q, cbs[k], fuzz_enum_cb, NULL), JET_errDatabaseCorrupted);
            const void *pv;
            uint32_t cbv;
            CHECK_ERR(rec_get(q, cbs[k], &m->tag[0], 1, &pv, &cbv, NULL), JET_errDatabaseCorrupted);
            CHECK(rec_count(q, cbs[k], &m->tag[0]) == 0);
            free(q);
        }
        free(mut);
        rec_free(&r);
    }
    free(m);
}

/* Specific structural damage is reported as corruption. */
TEST(record_corruption_detected)
{
    rec_buf r;
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column f1 = mkcol(1, JET_coltypLong, 0, 0, 0);
    rec_column v1 = mkcol(128, JET_coltypBinary, 0, 0, 0);
    rec_column t1 = mkcol(300, JET_coltypBinary, 0, 0, 0);
    rec_column t2 = mkcol(400, JET_coltypBinary, 0, 0, 0);
    int32_t x = 1;
    CHECK_ERR(rec_set(&r, &f1, 1, &x, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &v1, 1, "vv", 2, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &t1, 0, "t1", 2, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &t2, 0, "t2", 2, 0, NOLIMIT), JET_errSuccess);
    /* layout: hdr 4 | size 1 | Long 4 | var offs 2 | "vv" | C 2 | dir 16 | blocks 7+7 */
    CHECK(r.cb == 4 + 1 + 4 + 2 + 2 + 2 + 16 + 14);
    uint8_t orig[64];
    memcpy(orig, r.pb, r.cb);
    const uint32_t ibTag = 13, ibDir = ibTag + 2;
    /* (offset, byte) patches; a second patch when ib2 != 0 */
    static const struct { uint32_t ib; uint8_t v; uint32_t ib2; uint8_t v2; } dmg[] = {
        { 0, 3, 0, 0 },                     /* unknown format */
        { 3, 1, 0, 0 },                     /* reserved byte */
        { 1, 128, 0, 0 },                   /* F out of range */
        { 2, 129, 0, 0 },                   /* V out of range */
        { 4, 0, 0, 0 },                     /* last fixed entry NULL (not canonical) */
        { 4, 200, 0, 0 },                   /* fixed data beyond the record */
        { 10, 0x80, 0, 0 },                 /* NULL variable entry with a length */
        { 9, 0xFF, 0, 0 },                  /* variable end beyond the record */
        { 9, 0, 10, 0x80 },                 /* last variable entry NULL (not canonical) */
        { ibTag, 0, 0, 0 },                 /* tagged area with no columns */
        { ibTag, 0xFF, 0, 0 },              /* directory beyond the record */
        { ibDir + 1, 0, 0, 0 },             /* columnid < 256 */
        { ibDir + 8, 0x01, ibDir + 9, 1 },  /* second columnid 257 < 300: not ascending */
        { ibDir + 8, 0x2C, 0, 0 },          /* second columnid 300: duplicate */
        { ibDir + 2, 0, 0, 0 },             /* cValues 0 */
        { ibDir + 2, 2, 0, 0 },             /* cValues 2: headers exceed the block */
        { ibDir + 4, 6, 0, 0 },             /* first block end moved */
        { ibDir + 12, 15, 0, 0 },           /* last block end beyond the data */
        { ibDir + 12, 13, 0, 0 },           /* last block end before the end of the data */
        { ibDir + 16, 0x02, 0, 0 },         /* unknown value flag */
        { ibDir + 17, 3, 0, 0 },            /* value sizes exceed the block */
        { ibDir + 17, 1, 0, 0 },            /* value sizes fall short of the block */
        { ibDir + 26, 3, 0, 0 },            /* last column: headers run past the record */
    };
    for (size_t i = 0; i < sizeof(dmg) / sizeof(dmg[0]); i++) {
        memcpy(r.pb, orig, r.cb);
        r.pb[dmg[i].ib] = dmg[i].v;
        if (dmg[i].ib2)
            r.pb[dmg[i].ib2] = dmg[i].v2;
        JET_ERR err = rec_enum_tagged(r.pb, r.cb, fuzz_enum_cb, NULL);
        if (err != JET_errDatabaseCorrupted) {
            fprintf(stderr, "damage %zu not detected (%d)\n", i, err);
            CHECK(0);
        }
        const void *pv;
        uint32_t cb;
        CHECK_ERR(rec_get(r.pb, r.cb, &f1, 1, &pv, &cb, NULL), JET_errDatabaseCorrupted);
        CHECK_ERR(rec_set(&r, &f1, 1, &x, 4, 0, NOLIMIT), JET_errDatabaseCorrupted);
    }
    memcpy(r.pb, orig, r.cb);
    CHECK(get_is(&r, &t2, 1, "t2", 2, 0));
    rec_free(&r);
}

/* Version 2 (compact header): exact bytes, NULL bitmap, wide counts, and
 * the records are the same values as version 1's. */
TEST(record_v2_layout)
{
    rec_column k = mkcol(128, JET_coltypBinary, 0, 0, 0);
    rec_column v = mkcol(129, JET_coltypBinary, 0, 0, 0);
    rec_column v3 = mkcol(131, JET_coltypBinary, 0, 0, 0);
    rec_column f1 = mkcol(1, JET_coltypLong, 0, 0, 0);
    rec_column f4 = mkcol(4, JET_coltypShort, 0, 0, 0);
    rec_column t1 = mkcol(300, JET_coltypBinary, 0, 0, 0);
    uint8_t key[16], val[100];
    memset(key, 0x11, sizeof(key));
    memset(val, 0x22, sizeof(val));
    rec_buf r, r1;
    CHECK_ERR(rec_init_format(&r, REC_FORMAT_V2), JET_errSuccess);
    CHECK(r.cb == 1 && r.pb[0] == 0x02);
    CHECK_ERR(rec_init_format(&r1, 3), JET_errInvalidParameter);
    CHECK_ERR(rec_init(&r1), JET_errSuccess);
    for (int i = 0; i < 2; i++) {
        rec_buf *p = i ? &r1 : &r;
        CHECK_ERR(rec_set(p, &k, 1, key, 16, 0, NOLIMIT), JET_errSuccess);
        CHECK_ERR(rec_set(p, &v, 1, val, 100, 0, NOLIMIT), JET_errSuccess);
    }
    /* the benchmark's row: b0 (V = 2), two lengths, the values: 3 bytes of overhead, not 8 */
    CHECK(r.cb == 3 + 116 && r1.cb == 8 + 116);
    CHECK(r.pb[0] == (0x02 | (2 << 6)) && r.pb[1] == 16 && r.pb[2] == 100);
    CHECK(memcmp(r.pb + 3, key, 16) == 0 && memcmp(r.pb + 19, val, 100) == 0);
    CHECK(get_is(&r, &k, 1, key, 16, 0) && get_is(&r, &v, 1, val, 100, 0));
    /* a NULL entry before a set one: N and the bitmap */
    CHECK_ERR(rec_set(&r, &v, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK(r.cb == 2 + 16 && r.pb[0] == (0x02 | (1 << 6)) && r.pb[1] == 16);
    CHECK_ERR(rec_set(&r, &v3, 1, "xy", 2, 0, NOLIMIT), JET_errSuccess);
    /* V = 4 > 3: wide; lengths 16 0 0 2; bitmap 0b0110 */
    static const uint8_t want1[] = { 0x02 | 0x04 | 0x08, 0, 4, 16, 0, 0, 2, 0x06 };
    CHECK(r.cb == sizeof(want1) + 18 && memcmp(r.pb, want1, sizeof(want1)) == 0);
    CHECK(get_is(&r, &v, 1, NULL, 0, 0) && get_is(&r, &v3, 1, "xy", 2, 0) && get_is(&r, &k, 1, key, 16, 0));
    /* an empty (non-NULL) value is not NULL */
    CHECK_ERR(rec_set(&r, &v, 1, "", 0, 0, NOLIMIT), JET_errSuccess);
    static const uint8_t want2[] = { 0x02 | 0x04 | 0x08, 0, 4, 16, 0, 0, 2, 0x04 };
    CHECK(r.cb == sizeof(want2) + 18 && memcmp(r.pb, want2, sizeof(want2)) == 0);
    CHECK(get_is(&r, &v, 1, "", 0, 0));
    /* back to V = 2 without NULLs: narrow again, canonical */
    CHECK_ERR(rec_set(&r, &v3, 1, NULL, 0, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &v, 1, val, 100, 0, NOLIMIT), JET_errSuccess);
    CHECK(r.cb == 119 && r.pb[0] == (0x02 | (2 << 6)));
    /* fixed columns: F = 1 narrow, F = 4 wide; tagged area unchanged from version 1 */
    int32_t x = 7;
    int16_t y = 9;
    CHECK_ERR(rec_set(&r, &f1, 1, &x, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK(r.pb[0] == (0x02 | (1 << 4) | (2 << 6)) && r.pb[1] == 4);
    CHECK_ERR(rec_set(&r, &f4, 1, &y, 2, 0, NOLIMIT), JET_errSuccess);
    CHECK(r.pb[0] == (0x02 | 0x08) && r.pb[1] == 4 && r.pb[2] == 2);
    CHECK_ERR(rec_set(&r, &t1, 0, "tag", 3, 0, NOLIMIT), JET_errSuccess);
    CHECK(get_is(&r, &f1, 1, &x, 4, 0) && get_is(&r, &f4, 1, &y, 2, 0) && get_is(&r, &t1, 1, "tag", 3, 0));
    CHECK(get_is(&r, &v, 1, val, 100, 0) && get_is(&r, &k, 1, key, 16, 0));
    /* a version-1 record keeps its format when updated */
    CHECK_ERR(rec_set(&r1, &f1, 1, &x, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK(r1.pb[0] == 0x01 && r1.pb[1] == 1 && r1.pb[2] == 2 && r1.pb[3] == 0);
    CHECK(get_is(&r1, &f1, 1, &x, 4, 0) && get_is(&r1, &v, 1, val, 100, 0));
    rec_free(&r);
    rec_free(&r1);
}

/* Version 2 structural damage is reported as corruption. */
TEST(record_v2_corruption_detected)
{
    rec_buf r;
    CHECK_ERR(rec_init_format(&r, REC_FORMAT_V2), JET_errSuccess);
    rec_column f1 = mkcol(1, JET_coltypLong, 0, 0, 0);
    rec_column va = mkcol(128, JET_coltypBinary, 0, 0, 0);
    rec_column vc = mkcol(130, JET_coltypBinary, 0, 0, 0);
    int32_t x = 1;
    CHECK_ERR(rec_set(&r, &f1, 1, &x, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &va, 1, "a", 1, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &vc, 1, "cc", 2, 0, NOLIMIT), JET_errSuccess);
    /* layout: b0 (N, F 1, V 3) | size 4 | Long | lens 1 0 2 | bitmap 0x02 | "a" "cc" */
    static const uint8_t want[] = { 0x02 | 0x04 | (1 << 4) | (3 << 6), 4, 1, 0, 0, 0, 1, 0, 2, 0x02, 'a', 'c', 'c' };
    CHECK(r.cb == sizeof(want) && memcmp(r.pb, want, sizeof(want)) == 0);
    uint8_t orig[32];
    memcpy(orig, r.pb, r.cb);
    static const struct { uint32_t ib; uint8_t v; } dmg[] = {
        { 0, 0x02 | (1 << 4) | (3 << 6) },        /* bitmap present but N clear: lengths disagree */
        { 0, 0x02 | 0x04 | 0x08 | (1 << 4) },     /* W with bits 4-7 set */
        { 0, 0x02 | 0x04 | (1 << 4) | (2 << 6) }, /* V one short */
        { 1, 0 },                                  /* last fixed entry NULL */
        { 7, 3 },                                  /* NULL entry with a length */
        { 9, 0x00 },                               /* N with an empty bitmap */
        { 9, 0x06 },                               /* last entry NULL */
        { 9, 0x0A },                               /* a bit past V */
        { 8, 3 },                                  /* lengths run past the record */
        { 8, 1 },                                  /* lengths fall short (a 1-byte tagged area) */
    };
    for (size_t i = 0; i < sizeof(dmg) / sizeof(dmg[0]); i++) {
        memcpy(r.pb, orig, r.cb);
        r.pb[dmg[i].ib] = dmg[i].v;
        const void *pv;
        uint32_t cb;
        JET_ERR err = rec_get(r.pb, r.cb, &f1, 1, &pv, &cb, NULL);
        if (err != JET_errDatabaseCorrupted) {
            fprintf(stderr, "v2 damage %zu not detected (%d)\n", i, err);
            CHECK(0);
        }
        CHECK_ERR(rec_set(&r, &f1, 1, &x, 4, 0, NOLIMIT), JET_errDatabaseCorrupted);
    }
    /* wide counts that would fit narrow are not canonical */
    static const uint8_t wide[] = { 0x02 | 0x08, 0, 1, 0 };
    const void *pv;
    uint32_t cb;
    CHECK_ERR(rec_get(wide, sizeof(wide), &va, 1, &pv, &cb, NULL), JET_errDatabaseCorrupted);
    static const uint8_t narrow[] = { 0x02 | (1 << 6), 0 };
    CHECK_ERR(rec_get(narrow, sizeof(narrow), &va, 1, &pv, &cb, NULL), JET_errSuccess);
    CHECK(cb == 0);
    memcpy(r.pb, orig, r.cb);
    CHECK(get_is(&r, &vc, 1, "cc", 2, 0) && get_is(&r, &va, 1, "a", 1, 0) && get_is(&r, &f1, 1, &x, 4, 0));
    rec_free(&r);
}

/* R-OVF: the overflow form keeps the fixed and variable part, refuses tagged access, and
 * expands back to the same bytes; malformed forms are corruption. */
TEST(record_overflow_form)
{
    rec_buf r, o = { 0 };
    CHECK_ERR(rec_init(&r), JET_errSuccess);
    rec_column f1 = mkcol(1, JET_coltypLong, 0, 0, 0);
    rec_column v1 = mkcol(128, JET_coltypBinary, 0, 0, 0);
    rec_column t1 = mkcol(300, JET_coltypBinary, 0, 0, 0);
    int32_t x = 7;
    CHECK_ERR(rec_set(&r, &f1, 1, &x, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &v1, 1, "vv", 2, 0, NOLIMIT), JET_errSuccess);
    uint32_t ibTag = 0;
    CHECK_ERR(rec_tagged_split(r.pb, r.cb, &ibTag), JET_errSuccess);
    CHECK(ibTag == r.cb);                                   /* no tagged area yet */
    uint8_t ref[REC_OVF_REF_SIZE];
    for (int i = 0; i < REC_OVF_REF_SIZE; i++)
        ref[i] = (uint8_t)(0xA0 + i);
    CHECK_ERR(rec_ovf_make(r.pb, r.cb, ref, &o), JET_errInvalidParameter); /* nothing to move out */
    CHECK_ERR(rec_set(&r, &t1, 0, "t1", 2, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_set(&r, &t1, 0, "t22", 3, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_tagged_split(r.pb, r.cb, &ibTag), JET_errSuccess);
    CHECK(ibTag == 4 + 1 + 4 + 2 + 2);
    CHECK(rec_ovf_ref(r.pb, r.cb, NULL) == 0);
    CHECK_ERR(rec_ovf_make(r.pb, r.cb, ref, &o), JET_errSuccess);
    CHECK(o.cb == ibTag + 2 + REC_OVF_REF_SIZE && memcmp(o.pb, r.pb, ibTag) == 0);
    const uint8_t *pref = NULL;
    CHECK(rec_ovf_ref(o.pb, o.cb, &pref) == 1 && memcmp(pref, ref, REC_OVF_REF_SIZE) == 0);
    /* fixed and variable columns read and change as usual; tagged access is refused */
    CHECK(get_is(&o, &f1, 1, &x, 4, 0));
    CHECK(get_is(&o, &v1, 1, "vv", 2, 0));
    const void *pv;
    uint32_t cb;
    CHECK_ERR(rec_get(o.pb, o.cb, &t1, 1, &pv, &cb, NULL), JET_errInternalError);
    CHECK_ERR(rec_enum_tagged(o.pb, o.cb, fuzz_enum_cb, NULL), JET_errInternalError);
    CHECK_ERR(rec_set(&o, &t1, 0, "x", 1, 0, NOLIMIT), JET_errInternalError);
    CHECK(rec_count(o.pb, o.cb, &t1) == 0);
    CHECK_ERR(rec_tagged_split(o.pb, o.cb, &ibTag), JET_errInternalError);
    int32_t y = 9;
    CHECK_ERR(rec_set(&o, &f1, 1, &y, 4, 0, NOLIMIT), JET_errSuccess);   /* an escrow-like change */
    CHECK(rec_ovf_ref(o.pb, o.cb, &pref) == 1 && memcmp(pref, ref, REC_OVF_REF_SIZE) == 0);
    /* expanded with the moved tagged area: the record again (with the new fixed value) */
    CHECK_ERR(rec_set(&r, &f1, 1, &y, 4, 0, NOLIMIT), JET_errSuccess);
    CHECK_ERR(rec_tagged_split(r.pb, r.cb, &ibTag), JET_errSuccess);
    rec_buf e = { 0 };
    CHECK_ERR(rec_init(&e), JET_errSuccess);
    e.cb = 0;
    CHECK_ERR(rec_ovf_expand(&e, r.pb + ibTag, r.cb - ibTag), JET_errInvalidParameter); /* not the form */
    rec_free(&e);
    uint8_t keep[64];
    memcpy(keep, o.pb, o.cb);
    uint32_t cbKeep = o.cb;
    CHECK_ERR(rec_ovf_expand(&o, r.pb + ibTag, 5), JET_errDatabaseCorrupted);  /* a bad area: unchanged */
    CHECK(o.cb == cbKeep && memcmp(o.pb, keep, cbKeep) == 0);
    uint8_t ovf2[2 + REC_OVF_REF_SIZE] = { 0, 0 };
    CHECK_ERR(rec_ovf_expand(&o, ovf2, sizeof(ovf2)), JET_errDatabaseCorrupted); /* never nested */
    CHECK_ERR(rec_ovf_expand(&o, r.pb + ibTag, r.cb - ibTag), JET_errSuccess);
    CHECK(o.cb == r.cb && memcmp(o.pb, r.pb, r.cb) == 0);
    CHECK(get_is(&o, &t1, 2, "t22", 3, 0));
    /* the form is exactly 2 + REC_OVF_REF_SIZE bytes of tagged area */
    rec_buf m = { 0 };
    CHECK_ERR(rec_ovf_make(r.pb, r.cb, ref, &m), JET_errSuccess);
    CHECK(rec_ovf_ref(m.pb, m.cb - 1, NULL) == -1);
    CHECK_ERR(rec_get(m.pb, m.cb - 1, &f1, 1, &pv, &cb, NULL), JET_errDatabaseCorrupted);
    rec_free(&m);
    rec_free(&o);
    rec_free(&r);
}

/* ---- keys ------------------------------------------------------------------- */

#define KMAX 1024

typedef struct tval { int fNull; uint32_t cb; uint8_t b[48]; } tval;
typedef struct segspec { rec_column col; uint32_t flags; } segspec;

static int sgn(long long x) { return x < 0 ? -1 : x > 0; }

static int keycmp(const uint8_t *a, uint32_t ca, const uint8_t *b, uint32_t cb)
{
    int c = memcmp(a, b, ca < cb ? ca : cb);
    if (c)
        return c < 0 ? -1 : 1;
    return ca < cb ? -1 : ca > cb;
}

static uint64_t le(const uint8_t *p, uint32_t cb)
{
    uint64_t v = 0;
    for (int i = (int)cb - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int64_t sext(uint64_t v, uint32_t cb)
{
    if (cb < 8 && (v >> (8 * cb - 1)) & 1)
        v |= ~0ull << (8 * cb);
    return (int64_t)v;
}

/* Test-side Unicode folding: an explicit table for the test alphabet. */
static const uint16_t fold_pairs[][2] = {
    { 'A', 'a' }, { 'Z', 'z' }, { 0xC9, 0xE9 }, { 0xC0, 0xE0 }, { 0xDE, 0xFE }, { 0x178, 0xFF }, { 0x100, 0x101 },
    { 0x139, 0x13A }, { 0x17D, 0x17E }, { 0x391, 0x3B1 }, { 0x3A3, 0x3C3 }, { 0x3C2, 0x3C3 }, { 0x3A9, 0x3C9 },
    { 0x386, 0x3AC }, { 0x410, 0x430 }, { 0x42F, 0x44F }, { 0x401, 0x451 }, { 0x40F, 0x45F }, { 0x460, 0x461 },
    { 0x4C1, 0x4C2 }, { 0x4D0, 0x4D1 }, { 0x212A, 'k' }, { 0xFF21, 0xFF41 }, { 0xB5, 0x3BC }, { 0x1E9E, 0xDF },
};
#define NFOLD (sizeof(fold_pairs) / sizeof(fold_pairs[0]))
static const uint16_t unfolded_units[] = {
    0x0000, 0x0001, 0x0002, '_', '`', 0xD7, 0x131, 0xFFFF, 0xD800, 0x4E00, 0x7F, 0x100 - 1, 0x3C0, 'k', 0xDF,
};
#define NUNFOLDED (sizeof(unfolded_units) / sizeof(unfolded_units[0]))

static uint16_t test_fold(uint16_t u)
{
    for (size_t i = 0; i < NFOLD; i++)
        if (fold_pairs[i][0] == u)
            return fold_pairs[i][1];
    return u;
}

static int text_cmp(const rec_column *c, uint32_t flags, const tval *a, const tval *b)
{
    int fold = !(flags & KEY_SEG_CASESENSITIVE);
    if (c->cp == 1200) {
        uint32_t na = a->cb / 2, nb = b->cb / 2;
        for (uint32_t i = 0; i < na && i < nb; i++) {
            uint16_t x = (uint16_t)le(a->b + 2 * i, 2), y = (uint16_t)le(b->b + 2 * i, 2);
            if (fold) {
                x = test_fold(x);
                y = test_fold(y);
            }
            if (x != y)
                return x < y ? -1 : 1;
        }
        return na < nb ? -1 : na > nb;
    }
    for (uint32_t i = 0; i < a->cb && i < b->cb; i++) {
        uint8_t x = a->b[i], y = b->b[i];
        if (fold) {
            if (x >= 'A' && x <= 'Z')
                x += 32;
            if (y >= 'A' && y <= 'Z')
                y += 32;
        }
        if (x != y)
            return x < y ? -1 : 1;
    }
    return a->cb < b->cb ? -1 : a->cb > b->cb;
}

/* The natural order of two values of one segment (NULLs and descending included). */
/* Column values of numeric types are little-endian bytes on every host
 * (docs/c-api.md): floats go through their bit patterns. */
static float float_le(const uint8_t *p)
{
    uint32_t u = le_get32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double double_le(const uint8_t *p)
{
    uint64_t u = le_get64(p);
    double d;
    memcpy(&d, &u, 8);
    return d;
}
static const uint8_t *le_float(float f, uint8_t *b)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    le_put32(b, u);
    return b;
}
static const uint8_t *le_double(double d, uint8_t *b)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    le_put64(b, u);
    return b;
}
#define LEF(x) le_float((x), (uint8_t[4]){ 0 })
#define LED(x) le_double((x), (uint8_t[8]){ 0 })

static int seg_cmp(const segspec *s, const tval *a, const tval *b)
{
    int r;
    if (a->fNull || b->fNull) {
        if (a->fNull && b->fNull)
            r = 0;
        else
            r = (a->fNull ? -1 : 1) * ((s->flags & KEY_SEG_SORTNULLSHIGH) ? -1 : 1);
    } else {
        switch (s->col.coltyp) {
        case JET_coltypBit:
            r = (a->b[0] != 0) - (b->b[0] != 0);
            break;
        case JET_coltypUnsignedByte:
        case JET_coltypUnsignedShort:
        case JET_coltypUnsignedLong:
        case JET_coltypUnsignedLongLong: {
            uint64_t x = le(a->b, a->cb), y = le(b->b, b->cb);
            r = x < y ? -1 : x > y;
            break;
        }
        case JET_coltypShort:
        case JET_coltypLong:
        case JET_coltypLongLong:
        case JET_coltypCurrency: {
            int64_t x = sext(le(a->b, a->cb), a->cb), y = sext(le(b->b, b->cb), b->cb);
            r = x < y ? -1 : x > y;
            break;
        }
        case JET_coltypIEEESingle:
        case JET_coltypIEEEDouble:
        case JET_coltypDateTime: {
            double x, y;
            if (a->cb == 4) {
                x = float_le(a->b);
                y = float_le(b->b);
            } else {
                x = double_le(a->b);
                y = double_le(b->b);
            }
            int nx = isnan(x), ny = isnan(y);
            if (nx || ny)
                r = nx - ny;
            else
                r = x < y ? -1 : x > y;
            break;
        }
        case JET_coltypGUID:
            r = sgn(memcmp(a->b, b->b, 16));
            break;
        case JET_coltypText:
        case JET_coltypLongText:
            r = text_cmp(&s->col, s->flags, a, b);
            break;
        default: {
            int c = memcmp(a->b, b->b, a->cb < b->cb ? a->cb : b->cb);
            r = c ? sgn(c) : (a->cb < b->cb ? -1 : a->cb > b->cb);
            break;
        }
        }
    }
    return (s->flags & KEY_SEG_DESCENDING) ? -r : r;
}

static int make_key(const segspec *s, int nseg, const tval *row, uint8_t *key, uint32_t *pcb)
{
    *pcb = 0;
    int fTrunc = 0;
    for (int k = 0; k < nseg; k++) {
        JET_ERR err = key_append_segment(key, pcb, KMAX, &s[k].col, row[k].fNull ? NULL : row[k].b, row[k].cb,
                                         s[k].flags, &fTrunc);
        if (err != JET_errSuccess || fTrunc) {
            fprintf(stderr, "make_key: err %d trunc %d\n", err, fTrunc);
            return 0;
        }
    }
    return 1;
}

/* Every pair of rows must compare by memcmp of keys exactly as by the tuple order. */
static int check_pairs(const segspec *s, int nseg, const tval *rows, int n)
{
    uint8_t (*keys)[KMAX] = malloc((size_t)n * KMAX);
    uint32_t *cbs = malloc(sizeof(uint32_t) * (size_t)n);
    int ok = 1;
    for (int i = 0; i < n && ok; i++)
        ok = make_key(s, nseg, rows + (size_t)i * nseg, keys[i], &cbs[i]);
    for (int i = 0; i < n && ok; i++) {
        for (int j = 0; j < n && ok; j++) {
            int want = 0;
            for (int k = 0; k < nseg && want == 0; k++)
                want = seg_cmp(&s[k], &rows[(size_t)i * nseg + k], &rows[(size_t)j * nseg + k]);
            int got = keycmp(keys[i], cbs[i], keys[j], cbs[j]);
            if (got != want) {
                fprintf(stderr, "order mismatch: coltyp %u flags %u rows %d,%d want %d got %d\n",
                        s[0].col.coltyp, s[0].flags, i, j, want, got);
                for (int k = 0; k < nseg; k++) {
                    const tval *a = &rows[(size_t)i * nseg + k], *b = &rows[(size_t)j * nseg + k];
                    fprintf(stderr, "  seg %d: a null=%d cb=%u b null=%d cb=%u\n", k, a->fNull, a->cb, b->fNull,
                            b->cb);
                }
                ok = 0;
            }
        }
    }
    free(keys);
    free(cbs);
    return ok;
}

/* Random value generators. */
static void gen_int(tval *v, uint32_t cb)
{
    v->fNull = 0;
    v->cb = cb;
    uint64_t x;
    switch (rndn(8)) {
    case 0: x = 0; break;
    case 1: x = 1; break;
    case 2: x = ~0ull; break;                         /* -1 / max */
    case 3: x = 1ull << (8 * cb - 1); break;           /* signed min */
    case 4: x = (1ull << (8 * cb - 1)) - 1; break;     /* signed max */
    case 5: x = rndn(200) - 100; break;
    default: x = rnd(); break;
    }
    for (uint32_t i = 0; i < cb; i++)
        v->b[i] = (uint8_t)(x >> (8 * i));
}

static void gen_float(tval *v, uint32_t cb)
{
    v->fNull = 0;
    v->cb = cb;
    static const double specials[] = { 0.0, -0.0, 1.0, -1.0, 1e-310, -1e-310, 1e300, -1e300, 0.5, -0.5, 3.25, -7.0 };
    uint32_t k = rndn(10);
    if (cb == 4) {
        float f;
        uint32_t bits;
        if (k < 4) {
            f = (float)specials[rndn(12)];
            memcpy(&bits, &f, 4); /* the float's bits as a number */
        } else if (k == 4) {
            bits = rndn(2) ? 0x7F800000u : 0xFF800000u; /* infinities */
        } else if (k == 5) {
            bits = 0x7FC00000u | (uint32_t)rndn(1000) | (rndn(2) ? 0x80000000u : 0); /* NaNs */
        } else if (k == 6) {
            bits = (uint32_t)rndn(16) | (rndn(2) ? 0x80000000u : 0); /* denormals */
        } else {
            bits = (uint32_t)rnd();
        }
        le_put32(v->b, bits); /* column values are little-endian bytes (docs/c-api.md) */
    } else {
        uint64_t bits;
        if (k < 4) {
            memcpy(&bits, &specials[rndn(12)], 8); /* the double's bits as a number */
        } else if (k == 4) {
            bits = rndn(2) ? 0x7FF0000000000000ull : 0xFFF0000000000000ull;
        } else if (k == 5) {
            bits = 0x7FF8000000000000ull | rndn(1000) | (rndn(2) ? 0x8000000000000000ull : 0);
        } else if (k == 6) {
            bits = rndn(16) | (rndn(2) ? 0x8000000000000000ull : 0);
        } else {
            bits = rnd();
        }
        le_put64(v->b, bits);
    }
}

static void gen_text1252(tval *v)
{
    static const uint8_t alpha[] = { 0x00, 0x01, 0x02, 'a', 'A', 'b', 'B', 'z', 'Z', '_', '`', '[', 0x7F, 0x80, 0xC9,
                                     0xE9, 0xFE, 0xFF };
    v->fNull = 0;
    v->cb = rndn(7);
    for (uint32_t i = 0; i < v->cb; i++)
        v->b[i] = alpha[rndn(sizeof(alpha))];
}

static uint16_t gen_unit(void)
{
    uint32_t k = rndn(NFOLD * 2 + NUNFOLDED);
    if (k < NFOLD * 2)
        return fold_pairs[k / 2][k % 2];
    return unfolded_units[k - NFOLD * 2];
}

static void gen_text1200(tval *v)
{
    v->fNull = 0;
    uint32_t n = rndn(6);
    v->cb = 2 * n;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t u = gen_unit();
        v->b[2 * i] = (uint8_t)u;
        v->b[2 * i + 1] = (uint8_t)(u >> 8);
    }
}

static void gen_binary(tval *v)
{
    static const uint8_t alpha[] = { 0x00, 0x01, 0x02, 0x08, 0x09, 0x7F, 0x80, 0xFE, 0xFF };
    v->fNull = 0;
    v->cb = rndn(4) ? rndn(19) : rndn(40);
    for (uint32_t i = 0; i < v->cb; i++)
        v->b[i] = alpha[rndn(sizeof(alpha))];
}

static void gen_value(const rec_column *c, tval *v)
{
    if (rndn(12) == 0) {
        memset(v, 0, sizeof(*v));
        v->fNull = 1;
        return;
    }
    switch (c->coltyp) {
    case JET_coltypBit:
        v->fNull = 0;
        v->cb = 1;
        v->b[0] = (uint8_t)(rndn(2) ? 0 : rnd());
        break;
    case JET_coltypIEEESingle:
        gen_float(v, 4);
        break;
    case JET_coltypIEEEDouble:
    case JET_coltypDateTime:
        gen_float(v, 8);
        break;
    case JET_coltypGUID:
        v->fNull = 0;
        v->cb = 16;
        for (int i = 0; i < 16; i++)
            v->b[i] = (uint8_t)(rndn(3) ? rndn(3) : rnd());
        break;
    case JET_coltypText:
    case JET_coltypLongText:
        if (c->cp == 1200)
            gen_text1200(v);
        else
            gen_text1252(v);
        break;
    case JET_coltypBinary:
    case JET_coltypLongBinary:
        gen_binary(v);
        break;
    default: {
        rec_column cc = *c;
        gen_int(v, rec_fixed_size(&cc));
        break;
    }
    }
}

static const uint32_t seg_flag_combos[] = {
    0, KEY_SEG_DESCENDING, KEY_SEG_SORTNULLSHIGH, KEY_SEG_DESCENDING | KEY_SEG_SORTNULLSHIGH,
};

static int check_type_order(JET_COLTYP t, uint16_t cp, uint32_t extraFlags, int n)
{
    tval *rows = malloc(sizeof(tval) * (size_t)n);
    int ok = 1;
    for (size_t f = 0; f < 4 && ok; f++) {
        segspec s;
        s.col = mkcol(300, t, 0, JET_bitColumnTagged, cp);
        s.flags = seg_flag_combos[f] | extraFlags;
        for (int i = 0; i < n; i++)
            gen_value(&s.col, &rows[i]);
        ok = check_pairs(&s, 1, rows, n);
    }
    free(rows);
    return ok;
}

TEST(key_order_every_type)
{
    rnd_seed(99);
    static const JET_COLTYP types[] = {
        JET_coltypBit, JET_coltypUnsignedByte, JET_coltypShort, JET_coltypLong, JET_coltypCurrency,
        JET_coltypIEEESingle, JET_coltypIEEEDouble, JET_coltypDateTime, JET_coltypBinary, JET_coltypText,
        JET_coltypLongBinary, JET_coltypLongText, JET_coltypUnsignedLong, JET_coltypLongLong, JET_coltypGUID,
        JET_coltypUnsignedShort, JET_coltypUnsignedLongLong,
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        CHECK(check_type_order(types[i], 1252, 0, 160));
        if (types[i] == JET_coltypText || types[i] == JET_coltypLongText) {
            CHECK(check_type_order(types[i], 1200, 0, 160));
            CHECK(check_type_order(types[i], 1252, KEY_SEG_CASESENSITIVE, 160));
            CHECK(check_type_order(types[i], 1200, KEY_SEG_CASESENSITIVE, 160));
            CHECK(check_type_order(types[i], 0, 0, 80));
        }
    }
}

static uint32_t key1(const rec_column *c, const void *pv, uint32_t cb, uint32_t flags, uint8_t *key)
{
    uint32_t cbKey = 0;
    int fTrunc = 0;
    if (key_append_segment(key, &cbKey, KMAX, c, pv, cb, flags, &fTrunc) != JET_errSuccess || fTrunc)
        return 0;
    return cbKey;
}

static int same_key(const rec_column *c, const void *a, uint32_t ca, const void *b, uint32_t cb, uint32_t flags)
{
    uint8_t ka[KMAX], kb[KMAX];
    uint32_t na = key1(c, a, ca, flags, ka), nb = key1(c, b, cb, flags, kb);
    return na && na == nb && memcmp(ka, kb, na) == 0;
}

static int less_key(const rec_column *c, const void *a, uint32_t ca, const void *b, uint32_t cb, uint32_t flags)
{
    uint8_t ka[KMAX], kb[KMAX];
    uint32_t na = key1(c, a, ca, flags, ka), nb = key1(c, b, cb, flags, kb);
    return na && nb && keycmp(ka, na, kb, nb) < 0;
}

TEST(key_floats_special)
{
    rec_column d = mkcol(300, JET_coltypIEEEDouble, 0, 0, 0);
    rec_column f = mkcol(301, JET_coltypIEEESingle, 0, 0, 0);
    double pz = 0.0, nz = -0.0, pinf = INFINITY, ninf = -INFINITY, nan1 = NAN, nan2 = -NAN, one = 1.0, m1 = -1.0;
    double tiny = 4.9e-324, ntiny = -4.9e-324, big = 1.7e308;
    CHECK(same_key(&d, LED(pz), 8, LED(nz), 8, 0));
    CHECK(same_key(&d, LED(nan1), 8, LED(nan2), 8, 0));
    const double order[] = { ninf, -big, m1, ntiny, pz, tiny, one, big, pinf, nan1 };
    for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
        CHECK(less_key(&d, LED(order[i]), 8, LED(order[i + 1]), 8, 0));
        CHECK(less_key(&d, LED(order[i + 1]), 8, LED(order[i]), 8, KEY_SEG_DESCENDING));
    }
    float fpz = 0.0f, fnz = -0.0f, fnan = NAN, finf = INFINITY, fninf = -INFINITY, fm = -3.5f, fp = 2.25f;
    CHECK(same_key(&f, LEF(fpz), 4, LEF(fnz), 4, 0));
    CHECK(less_key(&f, LEF(fninf), 4, LEF(fm), 4, 0));
    CHECK(less_key(&f, LEF(fm), 4, LEF(fnz), 4, 0));
    CHECK(less_key(&f, LEF(fpz), 4, LEF(fp), 4, 0));
    CHECK(less_key(&f, LEF(fp), 4, LEF(finf), 4, 0));
    CHECK(less_key(&f, LEF(finf), 4, LEF(fnan), 4, 0));
    /* DateTime orders as a double */
    rec_column dt = mkcol(302, JET_coltypDateTime, 0, 0, 0);
    double d1 = 36526.5, d2 = 36526.75, d0 = -1.25;
    CHECK(less_key(&dt, LED(d0), 8, LED(d1), 8, 0) && less_key(&dt, LED(d1), 8, LED(d2), 8, 0));
    /* NULL before everything, after with SORTNULLSHIGH, inverted by DESCENDING */
    CHECK(less_key(&d, NULL, 0, LED(ninf), 8, 0));
    CHECK(less_key(&d, LED(nan1), 8, NULL, 0, KEY_SEG_SORTNULLSHIGH));
    CHECK(less_key(&d, LED(ninf), 8, NULL, 0, KEY_SEG_DESCENDING));
    CHECK(less_key(&d, NULL, 0, LED(nan1), 8, KEY_SEG_DESCENDING | KEY_SEG_SORTNULLSHIGH));
    /* Bit: any non-zero byte is 1 */
    rec_column b = mkcol(303, JET_coltypBit, 0, 0, 0);
    CHECK(same_key(&b, "\x01", 1, "\xFF", 1, 0));
    CHECK(less_key(&b, "\x00", 1, "\x02", 1, 0));
}

/* UTF-16LE from a list of code units. */
static uint32_t u16(const uint16_t *units, uint8_t *out)
{
    uint32_t n = 0;
    for (; units[n]; n++) {
        out[2 * n] = (uint8_t)units[n];
        out[2 * n + 1] = (uint8_t)(units[n] >> 8);
    }
    return 2 * n;
}

TEST(key_text_case_folding)
{
    rec_column a = mkcol(300, JET_coltypText, 0, 0, 1252);
    rec_column w = mkcol(301, JET_coltypText, 0, 0, 1200);
    rec_column lw = mkcol(302, JET_coltypLongText, 0, 0, 1200);
    CHECK(same_key(&a, "Hello World", 11, "hELLO wORLD", 11, 0));
    CHECK(!same_key(&a, "Hello", 5, "hello", 5, KEY_SEG_CASESENSITIVE));
    CHECK(less_key(&a, "Hello", 5, "hello", 5, KEY_SEG_CASESENSITIVE));
    CHECK(less_key(&a, "abc", 3, "ABD", 3, 0));
    CHECK(less_key(&a, "ab", 2, "AB\0", 3, 0)); /* embedded NUL sorts after the end */
    CHECK(less_key(&a, "ab\0", 3, "ab\1", 3, 0));
    CHECK(less_key(&a, "ab\1", 3, "ab\2", 3, 0));
    CHECK(less_key(&a, "ab\xFE", 3, "ab\xFF", 3, 0));
    CHECK(less_key(&a, "ab\xFF", 3, "ab\xFF\x00", 4, 0));
    CHECK(less_key(&a, "", 0, "\0", 1, 0));
    CHECK(less_key(&a, NULL, 0, "", 0, 0)); /* NULL before empty */

    static const uint16_t ecole1[] = { 0xC9, 'C', 'O', 'L', 'E', 0 }, ecole2[] = { 0xE9, 'c', 'o', 'l', 'e', 0 };
    static const uint16_t sis1[] = { 0x3A3, 0x38A, 0x3A3, 0x3A5, 0x3A6, 0x39F, 0x3A3, 0 };
    static const uint16_t sis2[] = { 0x3C3, 0x3AF, 0x3C3, 0x3C5, 0x3C6, 0x3BF, 0x3C2, 0 };
    static const uint16_t mos1[] = { 0x41C, 0x41E, 0x421, 0x41A, 0x412, 0x410, 0x401, 0 };
    static const uint16_t mos2[] = { 0x43C, 0x43E, 0x441, 0x43A, 0x432, 0x430, 0x451, 0 };
    static const uint16_t ext1[] = { 0x100, 0x178, 0x17D, 0x139, 0x1E9E, 0x212A, 0xFF21, 0 };
    static const uint16_t ext2[] = { 0x101, 0xFF, 0x17E, 0x13A, 0xDF, 'k', 0xFF41, 0 };
    uint8_t x[64], y[64];
    uint32_t cx, cy;
    cx = u16(ecole1, x), cy = u16(ecole2, y);
    CHECK(same_key(&w, x, cx, y, cy, 0) && same_key(&lw, x, cx, y, cy, 0));
    CHECK(!same_key(&w, x, cx, y, cy, KEY_SEG_CASESENSITIVE));
    cx = u16(sis1, x), cy = u16(sis2, y);
    CHECK(same_key(&w, x, cx, y, cy, 0));
    cx = u16(mos1, x), cy = u16(mos2, y);
    CHECK(same_key(&w, x, cx, y, cy, 0));
    CHECK(same_key(&w, x, cx, y, cy, KEY_SEG_DESCENDING));
    cx = u16(ext1, x), cy = u16(ext2, y);
    CHECK(same_key(&w, x, cx, y, cy, 0));
    /* order follows code points: 'z' < 'é' < 'α' < 'а' (Cyrillic) < U+4E00 < U+FFFF */
    static const uint16_t seq[] = { 'Z', 0xC9, 0x391, 0x410, 0x4E00, 0xFFFF };
    for (int i = 0; i + 1 < 6; i++) {
        uint8_t p[2] = { (uint8_t)seq[i], (uint8_t)(seq[i] >> 8) }, q[2] = { (uint8_t)seq[i + 1], (uint8_t)(seq[i + 1] >> 8) };
        CHECK(less_key(&w, p, 2, q, 2, 0));
    }
    /* embedded U+0000 / U+0001 and 0xFF bytes */
    CHECK(less_key(&w, "a\0", 2, "a\0\0\0", 4, 0));
    CHECK(less_key(&w, "a\0\0\0", 4, "a\0\1\0", 4, 0));
    CHECK(less_key(&w, "a\0\1\0", 4, "a\0\2\0", 4, 0));
    CHECK(less_key(&w, "a\0\xFF\xFF", 4, "a\0\xFF\xFF\0\0", 6, 0));
    /* an odd trailing byte is ignored */
    CHECK(same_key(&w, "a\0b", 3, "a\0", 2, 0));
}

TEST(key_binary_edges)
{
    rec_column b = mkcol(300, JET_coltypBinary, 0, 0, 0);
    rec_column lb = mkcol(301, JET_coltypLongBinary, 0, 0, 0);
    uint8_t z[20] = { 0 }, f[20];
    memset(f, 0xFF, sizeof(f));
    for (uint32_t n = 0; n < 19; n++) {
        CHECK(less_key(&b, z, n, z, n + 1, 0));       /* shorter first, even with zero bytes */
        CHECK(less_key(&b, f, n, f, n + 1, 0));
        CHECK(less_key(&b, z, n + 1, f, n + 1, 0));
        CHECK(less_key(&lb, f, n + 1, z, n + 1, KEY_SEG_DESCENDING));
        CHECK(less_key(&b, f, n, z, n + 1, KEY_SEG_DESCENDING) == (n > 0));
    }
    CHECK(less_key(&b, NULL, 0, "", 0, 0));
    CHECK(less_key(&b, "", 0, NULL, 0, KEY_SEG_SORTNULLSHIGH));
}

TEST(key_multisegment_tuples)
{
    rnd_seed(2024);
    segspec specs[3][3];
    /* text + int */
    specs[0][0] = (segspec){ mkcol(300, JET_coltypText, 0, 0, 1252), 0 };
    specs[0][1] = (segspec){ mkcol(1, JET_coltypLong, 0, 0, 0), KEY_SEG_DESCENDING };
    specs[0][2] = (segspec){ mkcol(2, JET_coltypShort, 0, 0, 0), 0 };
    /* binary + text (descending middle) + binary */
    specs[1][0] = (segspec){ mkcol(301, JET_coltypBinary, 0, 0, 0), 0 };
    specs[1][1] = (segspec){ mkcol(302, JET_coltypText, 0, 0, 1200), KEY_SEG_DESCENDING | KEY_SEG_SORTNULLSHIGH };
    specs[1][2] = (segspec){ mkcol(303, JET_coltypLongBinary, 0, 0, 0), 0 };
    /* text + binary (descending middle) + text */
    specs[2][0] = (segspec){ mkcol(304, JET_coltypLongText, 0, 0, 1252), KEY_SEG_SORTNULLSHIGH };
    specs[2][1] = (segspec){ mkcol(305, JET_coltypBinary, 0, 0, 0), KEY_SEG_DESCENDING };
    specs[2][2] = (segspec){ mkcol(306, JET_coltypText, 0, 0, 1252), KEY_SEG_DESCENDING };
    const int n = 200;
    tval *rows = malloc(sizeof(tval) * 3 * (size_t)n);
    for (int sp = 0; sp < 3; sp++) {
        /* few distinct values per segment so that earlier segments tie often */
        tval pool[3][6];
        for (int k = 0; k < 3; k++)
            for (int p = 0; p < 6; p++)
                gen_value(&specs[sp][k].col, &pool[k][p]);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 3; k++) {
                if (rndn(3) == 0)
                    gen_value(&specs[sp][k].col, &rows[(size_t)i * 3 + k]);
                else
                    rows[(size_t)i * 3 + k] = pool[k][rndn(6)];
            }
        CHECK(check_pairs(specs[sp], 3, rows, n));
    }
    free(rows);
}

TEST(key_truncation)
{
    rec_column t = mkcol(300, JET_coltypText, 0, 0, 1252);
    rec_column l = mkcol(1, JET_coltypLong, 0, 0, 0);
    uint8_t full[KMAX], key[16];
    uint32_t cbFull = key1(&t, "abcdefghijklmnopqrstuvwxyz", 26, 0, full);
    CHECK(cbFull == 28);
    uint32_t cb = 0;
    int fTrunc = 0;
    CHECK_ERR(key_append_segment(key, &cb, 10, &t, "abcdefghijklmnopqrstuvwxyz", 26, 0, &fTrunc), JET_errSuccess);
    CHECK(fTrunc == 1 && cb == 10 && memcmp(key, full, 10) == 0);
    /* descending truncated segment: the inverted prefix */
    cb = 0;
    fTrunc = 0;
    CHECK_ERR(key_append_segment(key, &cb, 10, &t, "abcdefghijklmnopqrstuvwxyz", 26, KEY_SEG_DESCENDING, &fTrunc),
              JET_errSuccess);
    CHECK(fTrunc == 1 && cb == 10);
    for (int i = 0; i < 10; i++)
        CHECK(key[i] + full[i] == 255);
    /* exactly fits: not truncated */
    cb = 0;
    fTrunc = 0;
    int32_t v = 7;
    CHECK_ERR(key_append_segment(key, &cb, 5, &l, &v, 4, 0, &fTrunc), JET_errSuccess);
    CHECK(fTrunc == 0 && cb == 5);
    /* full buffer: a NULL segment does not fit either */
    CHECK_ERR(key_append_segment(key, &cb, 5, &l, NULL, 0, 0, &fTrunc), JET_errSuccess);
    CHECK(fTrunc == 1 && cb == 5);
    /* pfTruncated may be NULL */
    cb = 0;
    CHECK_ERR(key_append_segment(key, &cb, 3, &l, &v, 4, 0, NULL), JET_errSuccess);
    CHECK(cb == 3);
    /* errors leave the key alone */
    cb = 2;
    CHECK_ERR(key_append_segment(key, &cb, 16, &l, &v, 3, 0, NULL), JET_errInvalidBufferSize);
    CHECK(cb == 2);
    rec_column slv = mkcol(2, JET_coltypSLV, 0, 0, 0);
    CHECK_ERR(key_append_segment(key, &cb, 16, &slv, &v, 4, 0, NULL), JET_errInvalidColumnType);
    rec_column nil = mkcol(2, JET_coltypNil, 0, 0, 0);
    CHECK_ERR(key_append_segment(key, &cb, 16, &nil, NULL, 0, 0, NULL), JET_errInvalidColumnType);
    cb = 17;
    CHECK_ERR(key_append_segment(key, &cb, 16, &l, &v, 4, 0, NULL), JET_errInvalidParameter);
    CHECK_ERR(key_append_limit(key, &cb, 16, 1), JET_errInvalidParameter);
}

/* Prefix of a value under the column's folding (test side). */
static int has_prefix(const rec_column *c, uint32_t flags, const tval *v, const tval *p)
{
    if (v->fNull || p->fNull)
        return 0;
    if (c->coltyp == JET_coltypText || c->coltyp == JET_coltypLongText) {
        uint32_t unit = c->cp == 1200 ? 2 : 1;
        if (p->cb / unit > v->cb / unit)
            return 0;
        tval vv = *v;
        vv.cb = p->cb / unit * unit;
        tval pp = *p;
        pp.cb = vv.cb;
        return text_cmp(c, flags, &vv, &pp) == 0;
    }
    return p->cb <= v->cb && memcmp(v->b, p->b, p->cb) == 0;
}

TEST(key_limits)
{
    rnd_seed(31337);
    const uint32_t cbKeyMax = 300;
    static const struct { JET_COLTYP t; uint16_t cp; } types[] = {
        { JET_coltypBinary, 0 }, { JET_coltypText, 1252 }, { JET_coltypText, 1200 }, { JET_coltypLongBinary, 0 },
    };
    for (size_t ti = 0; ti < 4; ti++) {
        for (int fl = 0; fl < 4; fl++) {
            uint32_t flags = seg_flag_combos[fl];
            rec_column lead = mkcol(1, JET_coltypLong, 0, 0, 0);
            rec_column c = mkcol(300, types[ti].t, 0, 0, types[ti].cp);
            rec_column tail = mkcol(2, JET_coltypShort, 0, 0, 0);
            int32_t leadv = 5;
            /* rows: (lead, c, tail) keys; some rows have another lead value */
            enum { NV = 150 };
            tval vals[NV];
            int otherLead[NV];
            uint8_t keys[NV][KMAX];
            uint32_t cbs[NV];
            for (int i = 0; i < NV; i++) {
                gen_value(&c, &vals[i]);
                int16_t tv = (int16_t)rnd();
                int32_t lv = leadv + (int32_t)rndn(3) - 1;
                otherLead[i] = lv != leadv;
                cbs[i] = 0;
                CHECK_ERR(key_append_segment(keys[i], &cbs[i], cbKeyMax, &lead, &lv, 4, 0, NULL), JET_errSuccess);
                CHECK_ERR(key_append_segment(keys[i], &cbs[i], cbKeyMax, &c, vals[i].fNull ? NULL : vals[i].b,
                                             vals[i].cb, flags, NULL),
                          JET_errSuccess);
                if (rndn(2))
                    CHECK_ERR(key_append_segment(keys[i], &cbs[i], cbKeyMax, &tail, &tv, 2, KEY_SEG_DESCENDING, NULL),
                              JET_errSuccess);
            }
            for (int pi = 0; pi < 40; pi++) {
                tval p;
                if (pi < 20) {
                    int src = (int)rndn(NV);
                    p = vals[src];
                    if (p.fNull)
                        gen_value(&c, &p);
                    if (!p.fNull)
                        p.cb = rndn(p.cb + 1);
                } else {
                    gen_value(&c, &p);
                }
                if (p.fNull)
                    continue;
                if (types[ti].cp == 1200)
                    p.cb &= ~1u;
                for (int full = 0; full < 2; full++) {
                    uint8_t lo[KMAX], hi[KMAX];
                    uint32_t cbLo = 0;
                    CHECK_ERR(key_append_segment(lo, &cbLo, cbKeyMax, &lead, &leadv, 4, 0, NULL), JET_errSuccess);
                    if (full)
                        CHECK_ERR(key_append_segment(lo, &cbLo, cbKeyMax, &c, p.b, p.cb, flags, NULL), JET_errSuccess);
                    else
                        CHECK_ERR(key_append_segment_prefix(lo, &cbLo, cbKeyMax, &c, p.b, p.cb, flags, NULL),
                                  JET_errSuccess);
                    memcpy(hi, lo, cbLo);
                    uint32_t cbHi = cbLo;
                    CHECK_ERR(key_append_limit(hi, &cbHi, cbKeyMax, full), JET_errSuccess);
                    CHECK(cbHi == cbKeyMax);
                    for (int i = 0; i < NV; i++) {
                        int in;
                        if (otherLead[i])
                            in = 0;
                        else if (full)
                            in = !vals[i].fNull && seg_cmp(&(segspec){ c, flags }, &vals[i], &p) == 0;
                        else
                            in = has_prefix(&c, flags, &vals[i], &p);
                        int geLo = keycmp(keys[i], cbs[i], lo, cbLo) >= 0;
                        int ltHi = keycmp(keys[i], cbs[i], hi, cbHi) < 0;
                        if (in != (geLo && ltHi)) {
                            fprintf(stderr, "limit mismatch: type %u cp %u flags %u full %d row %d in %d geLo %d ltHi %d\n",
                                    types[ti].t, types[ti].cp, flags, full, i, in, geLo, ltHi);
                            fprintf(stderr, "  p(%u):", p.cb);
                            for (uint32_t q = 0; q < p.cb; q++) fprintf(stderr, " %02x", p.b[q]);
                            fprintf(stderr, "\n  v(%u null %d):", vals[i].cb, vals[i].fNull);
                            for (uint32_t q = 0; q < vals[i].cb; q++) fprintf(stderr, " %02x", vals[i].b[q]);
                            fprintf(stderr, "\n  lo:");
                            for (uint32_t q = 0; q < cbLo; q++) fprintf(stderr, " %02x", lo[q]);
                            fprintf(stderr, "\n  key:");
                            for (uint32_t q = 0; q < cbs[i]; q++) fprintf(stderr, " %02x", keys[i][q]);
                            fprintf(stderr, "\n");
                            CHECK(0);
                        }
                    }
                }
            }
        }
    }
    /* a limit on a full key does nothing; with one spare byte it still sorts after */
    uint8_t k[8] = { 1, 2, 3, 4 };
    uint32_t cb = 4;
    CHECK_ERR(key_append_limit(k, &cb, 4, 0), JET_errSuccess);
    CHECK(cb == 4);
    CHECK_ERR(key_append_limit(k, &cb, 5, 0), JET_errSuccess);
    CHECK(cb == 5 && k[4] == 0xFF);
}

UNIT_MAIN()
