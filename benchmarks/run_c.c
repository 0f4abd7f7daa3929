/*
 * run_c.c -- the C API column of benchmarks/run.py: one (engine, workload) per
 * process, esepy through its ESENT API (libesent) or SQLite through its C API
 * (libsqlite3), the same rows and operations as run.py's Python adapters, so
 * that the binding's per-call cost is out of the figure (issue 20).
 *
 *   run_c ENGINE WORKLOAD FOLDER ROWS      ENGINE: esepy | sqlite
 *
 * Prints one JSON line {"s": seconds of the timed part}.  Workloads (16-byte
 * big-endian keys, 100-byte values; the table is loaded in lazy transactions
 * of 1,000 rows and scanned once to warm the cache before the timed part):
 *   readrandom  ROWS random point reads, value copied out (the first 10,000
 *               untimed): JetMakeKey + JetSeek(EQ) + JetRetrieveColumn /
 *               a bound SELECT v ... WHERE k = ?
 *   readseq     one scan in key order, key and value copied out: JetMove +
 *               2 x JetRetrieveColumn / sqlite3_step + 2 column reads
 *   seekrandom  ROWS/100 seeks to a random key, each reading 100 rows:
 *               JetSeek(GE) + 99 JetMove / SELECT ... WHERE k >= ? LIMIT 100
 *   value100k   max(10, ROWS/200) 100 KB values inserted in lazy
 *               transactions of 10 and read back into a buffer (timed together;
 *               "read": the read-back alone)
 * SQLite: WAL, synchronous=NORMAL, WITHOUT ROWID.  Built by run.py with the
 * system's compiler, sqlite3.h and libsqlite3; not a test, nothing is asserted.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include "esent.h"

#define CHECK(call)                                                                 \
    do {                                                                            \
        JET_ERR e_ = (call);                                                        \
        if (e_ < 0) {                                                               \
            fprintf(stderr, "%s failed: %d\n", #call, (int)e_);                     \
            exit(1);                                                                \
        }                                                                           \
    } while (0)
#define SQ(call)                                                                    \
    do {                                                                            \
        if ((call) != SQLITE_OK) {                                                  \
            fprintf(stderr, "%s failed: %s\n", #call, sqlite3_errmsg(sq));          \
            exit(1);                                                                \
        }                                                                           \
    } while (0)
#define BIG (100 * 1024)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void mkkey(unsigned char *k, unsigned long i)
{
    memset(k, 0, 16);
    for (int b = 0; b < 8; b++)
        k[15 - b] = (unsigned char)(i >> (8 * b));
}

static unsigned long long rng = 88172645463325252ull; /* xorshift: the same probes every run */
static unsigned long next_rand(unsigned long n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned long)(rng % n);
}

static void fail(const char *what)
{
    fprintf(stderr, "%s\n", what);
    exit(1);
}

/* ------------------------------------------------------------------------ */
/* esepy                                                                      */
/* ------------------------------------------------------------------------ */

static JET_INSTANCE inst;
static JET_SESID ses;
static JET_DBID dbid;
static JET_TABLEID tab;
static JET_COLUMNID colK, colV;

static void e_open(const char *folder, int big)
{
    char logs[1024], sys[1024], db[1024];
    snprintf(logs, sizeof logs, "%s/logs/", folder);
    snprintf(sys, sizeof sys, "%s/", folder);
    snprintf(db, sizeof db, "%s/bench.edb", folder);
    CHECK(JetCreateInstance(&inst, "run_c"));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramSystemPath, 0, sys));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramLogFilePath, 0, logs));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramCreatePathIfNotExist, 1, NULL));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramLogFileSize, 16384, NULL));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramMaxVerPages, 65536, NULL));
    CHECK(JetInit(&inst));
    CHECK(JetBeginSession(inst, &ses, NULL, NULL));
    CHECK(JetCreateDatabase(ses, db, NULL, &dbid, 0));
    CHECK(JetBeginTransaction(ses));
    CHECK(JetCreateTable(ses, dbid, "kv", 0, 100, &tab));
    JET_COLUMNDEF cd;
    memset(&cd, 0, sizeof cd);
    cd.cbStruct = sizeof cd;
    cd.coltyp = JET_coltypBinary;
    CHECK(JetAddColumn(ses, tab, "k", &cd, NULL, 0, &colK));
    cd.coltyp = big ? JET_coltypLongBinary : JET_coltypBinary;
    CHECK(JetAddColumn(ses, tab, "v", &cd, NULL, 0, &colV));
    static const char idx[] = "+k\0";
    CHECK(JetCreateIndex(ses, tab, "primary", JET_bitIndexPrimary | JET_bitIndexUnique, idx, sizeof idx, 100));
    CHECK(JetCommitTransaction(ses, 0));
}

static void e_fill(unsigned long n, const unsigned char *v, uint32_t cbV, unsigned long batch)
{
    unsigned char k[16];
    for (unsigned long b = 0; b < n; b += batch) {
        CHECK(JetBeginTransaction(ses));
        for (unsigned long i = b; i < n && i < b + batch; i++) {
            mkkey(k, i);
            CHECK(JetPrepareUpdate(ses, tab, JET_prepInsert));
            CHECK(JetSetColumn(ses, tab, colK, k, 16, 0, NULL));
            CHECK(JetSetColumn(ses, tab, colV, v, cbV, 0, NULL));
            CHECK(JetUpdate(ses, tab, NULL, 0, NULL));
        }
        CHECK(JetCommitTransaction(ses, JET_bitCommitLazyFlush));
    }
}

static unsigned long e_scan(void)
{
    unsigned char k[16], v[128];
    unsigned long n = 0;
    JET_ERR err = JetMove(ses, tab, JET_MoveFirst, 0);
    while (err >= 0) {
        uint32_t cb;
        CHECK(JetRetrieveColumn(ses, tab, colK, k, sizeof k, &cb, 0, NULL));
        CHECK(JetRetrieveColumn(ses, tab, colV, v, sizeof v, &cb, 0, NULL));
        n++;
        err = JetMove(ses, tab, JET_MoveNext, 0);
    }
    if (err != JET_errNoCurrentRecord)
        fail("esepy scan failed");
    return n;
}

static void e_get(unsigned long key, unsigned char *v, uint32_t cbMax)
{
    unsigned char k[16];
    uint32_t cb;
    mkkey(k, key);
    CHECK(JetMakeKey(ses, tab, k, 16, JET_bitNewKey));
    CHECK(JetSeek(ses, tab, JET_bitSeekEQ));
    CHECK(JetRetrieveColumn(ses, tab, colV, v, cbMax, &cb, 0, NULL));
}

static unsigned long e_range(unsigned long key, unsigned long count)
{
    unsigned char k[16], v[128];
    uint32_t cb;
    unsigned long n = 0;
    mkkey(k, key);
    CHECK(JetMakeKey(ses, tab, k, 16, JET_bitNewKey));
    JET_ERR err = JetSeek(ses, tab, JET_bitSeekGE);
    while (err >= 0 && n < count) {
        CHECK(JetRetrieveColumn(ses, tab, colK, k, sizeof k, &cb, 0, NULL));
        CHECK(JetRetrieveColumn(ses, tab, colV, v, sizeof v, &cb, 0, NULL));
        if (++n < count)
            err = JetMove(ses, tab, JET_MoveNext, 0);
    }
    return n;
}

static void e_close(void)
{
    CHECK(JetCloseTable(ses, tab));
    CHECK(JetCloseDatabase(ses, dbid, 0));
    CHECK(JetEndSession(ses, 0));
    CHECK(JetTerm(inst));
}

/* ------------------------------------------------------------------------ */
/* SQLite                                                                     */
/* ------------------------------------------------------------------------ */

static sqlite3 *sq;
static sqlite3_stmt *stScan, *stGet, *stRange;

static void s_open(const char *folder)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bench.sqlite", folder);
    if (sqlite3_open(path, &sq) != SQLITE_OK)
        fail("sqlite3_open failed");
    SQ(sqlite3_exec(sq, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID", NULL, NULL, NULL));
}

static void s_fill(unsigned long n, const unsigned char *v, int cbV, unsigned long batch)
{
    unsigned char k[16];
    sqlite3_stmt *st;
    SQ(sqlite3_prepare_v2(sq, "INSERT INTO kv VALUES (?, ?)", -1, &st, NULL));
    for (unsigned long b = 0; b < n; b += batch) {
        SQ(sqlite3_exec(sq, "BEGIN", NULL, NULL, NULL));
        for (unsigned long i = b; i < n && i < b + batch; i++) {
            mkkey(k, i);
            sqlite3_bind_blob(st, 1, k, 16, SQLITE_STATIC);
            sqlite3_bind_blob(st, 2, v, cbV, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                fail("sqlite insert failed");
            sqlite3_reset(st);
        }
        SQ(sqlite3_exec(sq, "COMMIT", NULL, NULL, NULL));
    }
    sqlite3_finalize(st);
    SQ(sqlite3_prepare_v2(sq, "SELECT k, v FROM kv ORDER BY k", -1, &stScan, NULL));
    SQ(sqlite3_prepare_v2(sq, "SELECT v FROM kv WHERE k = ?", -1, &stGet, NULL));
    SQ(sqlite3_prepare_v2(sq, "SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?", -1, &stRange, NULL));
}

static unsigned long s_scan(void)
{
    unsigned char k[16], v[128];
    unsigned long n = 0;
    while (sqlite3_step(stScan) == SQLITE_ROW) {
        memcpy(k, sqlite3_column_blob(stScan, 0), 16);
        memcpy(v, sqlite3_column_blob(stScan, 1), (size_t)sqlite3_column_bytes(stScan, 1));
        n++;
    }
    sqlite3_reset(stScan);
    return n;
}

static void s_get(unsigned long key, unsigned char *v, size_t cbMax)
{
    unsigned char k[16];
    mkkey(k, key);
    sqlite3_bind_blob(stGet, 1, k, 16, SQLITE_STATIC);
    if (sqlite3_step(stGet) != SQLITE_ROW)
        fail("sqlite: a key is missing");
    size_t cb = (size_t)sqlite3_column_bytes(stGet, 0);
    memcpy(v, sqlite3_column_blob(stGet, 0), cb < cbMax ? cb : cbMax);
    sqlite3_reset(stGet);
}

static unsigned long s_range(unsigned long key, unsigned long count)
{
    unsigned char k[16], v[128];
    unsigned long n = 0;
    mkkey(k, key);
    sqlite3_bind_blob(stRange, 1, k, 16, SQLITE_STATIC);
    sqlite3_bind_int64(stRange, 2, (sqlite3_int64)count);
    while (sqlite3_step(stRange) == SQLITE_ROW) {
        memcpy(k, sqlite3_column_blob(stRange, 0), 16);
        memcpy(v, sqlite3_column_blob(stRange, 1), (size_t)sqlite3_column_bytes(stRange, 1));
        n++;
    }
    sqlite3_reset(stRange);
    return n;
}

static void s_close(void)
{
    sqlite3_finalize(stScan);
    sqlite3_finalize(stGet);
    sqlite3_finalize(stRange);
    sqlite3_close(sq);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s esepy|sqlite readrandom|readseq|seekrandom|value100k FOLDER ROWS\n", argv[0]);
        return 2;
    }
    int esepy = strcmp(argv[1], "esepy") == 0;
    if (!esepy && strcmp(argv[1], "sqlite") != 0)
        return 2;
    const char *w = argv[2], *folder = argv[3];
    unsigned long rows = strtoul(argv[4], NULL, 10);
    if (rows == 0)
        return 2;
    int big = strcmp(w, "value100k") == 0;
    if (esepy)
        e_open(folder, big);
    else
        s_open(folder);
    double t = 0, tRead = -1;
    unsigned char *v = malloc(BIG);
    if (v == NULL)
        return 1;
    if (big) {
        unsigned long n = rows / 200 < 10 ? 10 : rows / 200;
        for (size_t i = 0; i < BIG; i++)
            v[i] = (unsigned char)next_rand(256);
        unsigned char *back = malloc(BIG);
        if (back == NULL)
            return 1;
        double t0 = now();
        if (esepy)
            e_fill(n, v, BIG, 10);
        else
            s_fill(n, v, BIG, 10);
        tRead = now();
        for (unsigned long i = 0; i < n; i++) {
            if (esepy)
                e_get(i, back, BIG);
            else
                s_get(i, back, BIG);
        }
        t = now() - t0;
        tRead = now() - tRead;
        if (memcmp(back, v, BIG) != 0)
            fail("value100k: the value read back differs");
        free(back);
    } else {
        memset(v, 'v', 100);
        if (esepy)
            e_fill(rows, v, 100, 1000);
        else
            s_fill(rows, v, 100, 1000);
        if ((esepy ? e_scan() : s_scan()) != rows) /* and warms the cache */
            fail("the scan did not see every row");
        if (strcmp(w, "readrandom") == 0) {
            unsigned long *probe = malloc(rows * sizeof *probe);
            if (probe == NULL)
                return 1;
            for (unsigned long i = 0; i < rows; i++)
                probe[i] = next_rand(rows);
            for (unsigned long i = 0; i < rows && i < 10000; i++)
                esepy ? e_get(probe[i], v, 128) : s_get(probe[i], v, 128);
            double t0 = now();
            for (unsigned long i = 0; i < rows; i++)
                esepy ? e_get(probe[i], v, 128) : s_get(probe[i], v, 128);
            t = now() - t0;
            free(probe);
        } else if (strcmp(w, "readseq") == 0) {
            double t0 = now();
            unsigned long n = esepy ? e_scan() : s_scan();
            t = now() - t0;
            if (n != rows)
                fail("readseq: a row is missing");
        } else if (strcmp(w, "seekrandom") == 0) {
            unsigned long nseek = rows / 100 ? rows / 100 : 1;
            double t0 = now();
            for (unsigned long i = 0; i < nseek; i++)
                (void)(esepy ? e_range(next_rand(rows), 100) : s_range(next_rand(rows), 100));
            t = now() - t0;
        } else {
            fprintf(stderr, "unknown workload %s\n", w);
            return 2;
        }
    }
    free(v);
    if (esepy)
        e_close();
    else
        s_close();
    if (tRead >= 0)
        printf("{\"s\": %.6f, \"read\": %.6f}\n", t, tRead);
    else
        printf("{\"s\": %.6f}\n", t);
    return 0;
}
