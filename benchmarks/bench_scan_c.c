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
 * Not a test: nothing asserts speed.  The table and both engines' operations:
 * bench_kv_c.h (shared with run_c.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "bench_kv_c.h"

static unsigned long rows, *probe;

static double e_scan_timed(void)
{
    double t0 = now();
    unsigned long n = e_scan();
    double t = now() - t0;
    if (n != rows)
        fail("esepy scan: a row is missing");
    return t;
}

static double e_get_timed(void)
{
    unsigned char v[128];
    double t0 = now();
    for (unsigned long i = 0; i < rows; i++)
        e_get(probe[i], v, sizeof v);
    return now() - t0;
}

static double s_scan_timed(void)
{
    double t0 = now();
    unsigned long n = s_scan();
    double t = now() - t0;
    if (n != rows)
        fail("sqlite scan: a row is missing");
    return t;
}

static double s_get_timed(void)
{
    unsigned char v[128];
    double t0 = now();
    for (unsigned long i = 0; i < rows; i++)
        s_get(probe[i], v, sizeof v);
    return now() - t0;
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
    unsigned char v[100];
    memset(v, 'v', sizeof v);
    probe = malloc(rows * sizeof *probe);
    if (probe == NULL)
        return 1;
    for (unsigned long i = 0; i < rows; i++)
        probe[i] = next_rand(rows);

    e_open(folder, "bench_scan_c", 1);
    e_fill(rows, v, sizeof v, 1000);
    s_open(folder);
    s_fill(rows, v, sizeof v, 1000);

    if (getenv("BENCH_SCAN_PROFILE")) {
        /* for a profiler: only esepy's scan, many times (perf record ./a.out ...) */
        for (int i = 0; i < 20 * repeat; i++)
            e_scan_timed();
        return 0;
    }
    e_scan_timed(), s_scan_timed();   /* warm both caches */
    double es[99], ss[99], eg[99], sg[99];
    for (int r = 0; r < repeat; r++) {
        es[r] = e_scan_timed();
        ss[r] = s_scan_timed();
        eg[r] = e_get_timed();
        sg[r] = s_get_timed();
    }
    double mes = median(es, repeat), mss = median(ss, repeat), meg = median(eg, repeat), msg = median(sg, repeat);
    printf("C API: rows=%lu lookups=%lu repeat=%d (medians)\n", rows, rows, repeat);
    printf("%-14s%10s%10s%14s\n", "workload", "esepy", "sqlite", "esepy/sqlite");
    printf("%-14s%9.3fs%9.3fs%14.2f\n", "full scan", mes, mss, mes / mss);
    printf("%-14s%9.3fs%9.3fs%14.2f\n", "point reads", meg, msg, meg / msg);

    s_close();
    e_close();
    free(probe);
    return 0;
}
