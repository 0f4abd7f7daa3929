/*
 * bench_scan_c.c -- read-path micro-benchmark through the C APIs: esepy's
 * ESENT API against SQLite's C API, same rows, same run (issue 20).
 *
 * Loads N rows (16-byte big-endian keys, 100-byte values; lazy commits of
 * 1,000 rows) into each engine, then times, interleaved, R times each:
 *   scan    every row in key order, key and value copied out
 *           (JetMove + 2 x JetRetrieveColumn / sqlite3_step + 2 column reads)
 *   reads   N warm random point lookups by key, value copied out
 *           (JetMakeKey + JetSeek EQ + JetRetrieveColumn / bound SELECT)
 * and prints the median seconds of each and the ratio esepy / sqlite.
 * Driven by benchmarks/bench_scan.py, which builds it; by hand:
 *   cc -O2 -std=c11 -I"$INC" bench_scan_c.c -L"$LIB" -lesent -lsqlite3 -Wl,-rpath,"$LIB"
 *   ./a.out FOLDER [ROWS] [REPEAT]
 * With BENCH_SCAN_PROFILE set in the environment it runs only esepy's scan,
 * 20 x REPEAT times after the load (something for `perf record` to look at).
 * Not a test: nothing asserts speed.
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

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return v[n / 2];
}

static JET_SESID ses;
static JET_TABLEID tab;
static JET_COLUMNID colK, colV;
static sqlite3 *sq;
static sqlite3_stmt *stScan, *stGet;
static unsigned long rows, *probe;

static double e_scan(void)
{
    unsigned char k[16], v[128];
    unsigned long n = 0;
    double t0 = now();
    JET_ERR err = JetMove(ses, tab, JET_MoveFirst, 0);
    while (err >= 0) {
        uint32_t cb;
        CHECK(JetRetrieveColumn(ses, tab, colK, k, sizeof k, &cb, 0, NULL));
        CHECK(JetRetrieveColumn(ses, tab, colV, v, sizeof v, &cb, 0, NULL));
        n++;
        err = JetMove(ses, tab, JET_MoveNext, 0);
    }
    double t = now() - t0;
    if (err != JET_errNoCurrentRecord || n != rows) {
        fprintf(stderr, "esepy scan: err %d, %lu rows\n", (int)err, n);
        exit(1);
    }
    return t;
}

static double e_get(void)
{
    unsigned char k[16], v[128];
    double t0 = now();
    for (unsigned long i = 0; i < rows; i++) {
        uint32_t cb;
        mkkey(k, probe[i]);
        CHECK(JetMakeKey(ses, tab, k, 16, JET_bitNewKey));
        CHECK(JetSeek(ses, tab, JET_bitSeekEQ));
        CHECK(JetRetrieveColumn(ses, tab, colV, v, sizeof v, &cb, 0, NULL));
    }
    return now() - t0;
}

static double s_scan(void)
{
    unsigned char k[16], v[128];
    unsigned long n = 0;
    double t0 = now();
    while (sqlite3_step(stScan) == SQLITE_ROW) {
        memcpy(k, sqlite3_column_blob(stScan, 0), 16);
        memcpy(v, sqlite3_column_blob(stScan, 1), (size_t)sqlite3_column_bytes(stScan, 1));
        n++;
    }
    sqlite3_reset(stScan);
    double t = now() - t0;
    if (n != rows) {
        fprintf(stderr, "sqlite scan: %lu rows\n", n);
        exit(1);
    }
    return t;
}

static double s_get(void)
{
    unsigned char k[16], v[128];
    double t0 = now();
    for (unsigned long i = 0; i < rows; i++) {
        mkkey(k, probe[i]);
        sqlite3_bind_blob(stGet, 1, k, 16, SQLITE_STATIC);
        if (sqlite3_step(stGet) != SQLITE_ROW) {
            fprintf(stderr, "sqlite: key %lu missing\n", probe[i]);
            exit(1);
        }
        memcpy(v, sqlite3_column_blob(stGet, 0), (size_t)sqlite3_column_bytes(stGet, 0));
        sqlite3_reset(stGet);
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FOLDER [ROWS] [REPEAT]\n", argv[0]);
        return 2;
    }
    const char *folder = argv[1];
    rows = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
    int repeat = argc > 3 ? atoi(argv[3]) : 3;
    if (repeat < 1 || repeat > 99 || rows == 0)
        return 2;
    char logs[1024], sys[1024], db[1024], sqpath[1024];
    snprintf(logs, sizeof logs, "%s/logs/", folder);
    snprintf(sys, sizeof sys, "%s/", folder);
    snprintf(db, sizeof db, "%s/bench.edb", folder);
    snprintf(sqpath, sizeof sqpath, "%s/bench.sqlite", folder);
    unsigned char k[16], v[100];
    memset(v, 'v', sizeof v);
    probe = malloc(rows * sizeof *probe);
    if (probe == NULL)
        return 1;
    unsigned long long x = 88172645463325252ull;   /* xorshift: the same probes every run */
    for (unsigned long i = 0; i < rows; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        probe[i] = (unsigned long)(x % rows);
    }

    /* esepy */
    JET_INSTANCE inst;
    JET_DBID dbid;
    CHECK(JetCreateInstance(&inst, "bench_scan_c"));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramSystemPath, 0, sys));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramLogFilePath, 0, logs));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramCreatePathIfNotExist, 1, NULL));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramLogFileSize, 16384, NULL));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramMaxVerPages, 4096, NULL));
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
    cd.coltyp = JET_coltypLongBinary;
    CHECK(JetAddColumn(ses, tab, "v", &cd, NULL, 0, &colV));
    static const char idx[] = "+k\0";
    CHECK(JetCreateIndex(ses, tab, "primary", JET_bitIndexPrimary | JET_bitIndexUnique, idx, sizeof idx, 100));
    CHECK(JetCommitTransaction(ses, 0));
    for (unsigned long b = 0; b < rows; b += 1000) {
        CHECK(JetBeginTransaction(ses));
        for (unsigned long i = b; i < rows && i < b + 1000; i++) {
            mkkey(k, i);
            CHECK(JetPrepareUpdate(ses, tab, JET_prepInsert));
            CHECK(JetSetColumn(ses, tab, colK, k, 16, 0, NULL));
            CHECK(JetSetColumn(ses, tab, colV, v, sizeof v, 0, NULL));
            CHECK(JetUpdate(ses, tab, NULL, 0, NULL));
        }
        CHECK(JetCommitTransaction(ses, JET_bitCommitLazyFlush));
    }

    /* sqlite */
    if (sqlite3_open(sqpath, &sq) != SQLITE_OK)
        return 1;
    SQ(sqlite3_exec(sq, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID", NULL, NULL, NULL));
    sqlite3_stmt *stIns;
    SQ(sqlite3_prepare_v2(sq, "INSERT INTO kv VALUES (?, ?)", -1, &stIns, NULL));
    for (unsigned long b = 0; b < rows; b += 1000) {
        SQ(sqlite3_exec(sq, "BEGIN", NULL, NULL, NULL));
        for (unsigned long i = b; i < rows && i < b + 1000; i++) {
            mkkey(k, i);
            sqlite3_bind_blob(stIns, 1, k, 16, SQLITE_STATIC);
            sqlite3_bind_blob(stIns, 2, v, sizeof v, SQLITE_STATIC);
            if (sqlite3_step(stIns) != SQLITE_DONE)
                return 1;
            sqlite3_reset(stIns);
        }
        SQ(sqlite3_exec(sq, "COMMIT", NULL, NULL, NULL));
    }
    sqlite3_finalize(stIns);
    SQ(sqlite3_prepare_v2(sq, "SELECT k, v FROM kv ORDER BY k", -1, &stScan, NULL));
    SQ(sqlite3_prepare_v2(sq, "SELECT v FROM kv WHERE k = ?", -1, &stGet, NULL));

    if (getenv("BENCH_SCAN_PROFILE")) {
        /* for a profiler: only esepy's scan, many times (perf record ./a.out ...) */
        for (int i = 0; i < 20 * repeat; i++)
            e_scan();
        return 0;
    }
    e_scan(), s_scan();   /* warm both caches */
    double es[99], ss[99], eg[99], sg[99];
    for (int r = 0; r < repeat; r++) {
        es[r] = e_scan();
        ss[r] = s_scan();
        eg[r] = e_get();
        sg[r] = s_get();
    }
    double mes = median(es, repeat), mss = median(ss, repeat), meg = median(eg, repeat), msg = median(sg, repeat);
    printf("C API: rows=%lu lookups=%lu repeat=%d (medians)\n", rows, rows, repeat);
    printf("%-14s%10s%10s%14s\n", "workload", "esepy", "sqlite", "esepy/sqlite");
    printf("%-14s%9.3fs%9.3fs%14.2f\n", "full scan", mes, mss, mes / mss);
    printf("%-14s%9.3fs%9.3fs%14.2f\n", "point reads", meg, msg, meg / msg);

    sqlite3_finalize(stScan);
    sqlite3_finalize(stGet);
    sqlite3_close(sq);
    CHECK(JetCloseTable(ses, tab));
    CHECK(JetCloseDatabase(ses, dbid, 0));
    CHECK(JetEndSession(ses, 0));
    CHECK(JetTerm(inst));
    free(probe);
    return 0;
}
