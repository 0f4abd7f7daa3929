/*
 * bench_kv_c.h -- the key/value table both C benchmarks drive, esepy through
 * its ESENT API (libesent) and SQLite through its C API (libsqlite3):
 * benchmarks/run_c.c (run.py's C API column) and benchmarks/bench_scan_c.c
 * (bench_scan.py's C part).  Included by exactly one .c file per program, so
 * its functions are static (inline: a program need not use all of them).
 *
 * Table: 16-byte big-endian keys k (primary, unique), values v (Binary, or
 * LongBinary when e_open's fLongValue); SQLite: WAL, synchronous=NORMAL,
 * WITHOUT ROWID.  Every failure prints what failed and exits 1.
 * The probe sequence (next_rand) is a fixed xorshift: the same every run.
 */
#ifndef ESEPY_BENCH_KV_C_H
#define ESEPY_BENCH_KV_C_H

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

/* CPU time of the process (user + system), seconds. */
static inline double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline void mkkey(unsigned char *k, unsigned long i)
{
    memset(k, 0, 16);
    for (int b = 0; b < 8; b++)
        k[15 - b] = (unsigned char)(i >> (8 * b));
}

static unsigned long long rng = 88172645463325252ull; /* xorshift: the same probes every run */
static inline unsigned long next_rand(unsigned long n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned long)(rng % n);
}

static inline void fail(const char *what)
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

static inline void e_open(const char *folder, const char *szInstance, int fLongValue)
{
    char logs[1024], sys[1024], db[1024];
    snprintf(logs, sizeof logs, "%s/logs/", folder);
    snprintf(sys, sizeof sys, "%s/", folder);
    snprintf(db, sizeof db, "%s/bench.edb", folder);
    CHECK(JetCreateInstance(&inst, szInstance));
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
    cd.coltyp = fLongValue ? JET_coltypLongBinary : JET_coltypBinary;
    CHECK(JetAddColumn(ses, tab, "v", &cd, NULL, 0, &colV));
    static const char idx[] = "+k\0";
    CHECK(JetCreateIndex(ses, tab, "primary", JET_bitIndexPrimary | JET_bitIndexUnique, idx, sizeof idx, 100));
    CHECK(JetCommitTransaction(ses, 0));
}

static inline void e_fill(unsigned long n, const unsigned char *v, uint32_t cbV, unsigned long batch)
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

static inline unsigned long e_scan(void)
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

static inline void e_get(unsigned long key, unsigned char *v, uint32_t cbMax)
{
    unsigned char k[16];
    uint32_t cb;
    mkkey(k, key);
    CHECK(JetMakeKey(ses, tab, k, 16, JET_bitNewKey));
    CHECK(JetSeek(ses, tab, JET_bitSeekEQ));
    CHECK(JetRetrieveColumn(ses, tab, colV, v, cbMax, &cb, 0, NULL));
}

static inline unsigned long e_range(unsigned long key, unsigned long count)
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

static inline void e_close(void)
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

static inline void s_open(const char *folder)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bench.sqlite", folder);
    if (sqlite3_open(path, &sq) != SQLITE_OK)
        fail("sqlite3_open failed");
    SQ(sqlite3_exec(sq, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID", NULL, NULL, NULL));
}

static inline void s_fill(unsigned long n, const unsigned char *v, int cbV, unsigned long batch)
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

static inline unsigned long s_scan(void)
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

static inline void s_get(unsigned long key, unsigned char *v, size_t cbMax)
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

static inline unsigned long s_range(unsigned long key, unsigned long count)
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

static inline void s_close(void)
{
    sqlite3_finalize(stScan);
    sqlite3_finalize(stGet);
    sqlite3_finalize(stRange);
    sqlite3_close(sq);
}

#endif
