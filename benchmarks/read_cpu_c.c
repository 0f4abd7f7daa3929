/*
 * read_cpu_c.c -- the read figures of docs/benchmarks.md "Read side, second
 * pass": run_c.c's esepy and SQLite functions (it is included, its main
 * renamed), timed by the minimum thread CPU time of ITER repetitions, which a
 * loaded shared machine disturbs far less than wall-clock medians.
 *
 *   read_cpu_c esepy|sqlite get|scan|range FOLDER ROWS ITER
 *
 * get: ROWS random point reads; scan: one full scan; range: ROWS/100 seeks
 * reading 100 rows each.  Prints "min cpu N ns/row".  Build (from the repo):
 *   cc -O2 -std=gnu11 -I esepy/include -I benchmarks benchmarks/read_cpu_c.c \
 *      -L esepy -lesent -Wl,-rpath,$PWD/esepy -lsqlite3 -o read_cpu_c
 * Not a test, nothing is asserted beyond the row count of a scan.
 */
#define _GNU_SOURCE
#define main run_c_main
#include "run_c.c"
#undef main

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s esepy|sqlite get|scan|range FOLDER ROWS ITER\n", argv[0]);
        return 2;
    }
    int esepy = strcmp(argv[1], "esepy") == 0;
    const char *w = argv[2];
    unsigned long rows = strtoul(argv[4], NULL, 10), iter = strtoul(argv[5], NULL, 10);
    if (rows == 0 || iter == 0)
        return 2;
    unsigned char v[128];
    memset(v, 'v', 100);
    if (esepy) {
        e_open(argv[3], "read_cpu_c", 0);
        e_fill(rows, v, 100, 1000);
    } else {
        s_open(argv[3]);
        s_fill(rows, v, 100, 1000);
    }
    (void)(esepy ? e_scan() : s_scan()); /* warms the cache */
    double best = 1e9;
    for (unsigned long it = 0; it < iter; it++) {
        struct timespec c0, c1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        if (strcmp(w, "scan") == 0) {
            if ((esepy ? e_scan() : s_scan()) != rows)
                fail("scan: a row is missing");
        } else if (strcmp(w, "get") == 0) {
            for (unsigned long i = 0; i < rows; i++)
                esepy ? e_get(next_rand(rows), v, 128) : s_get(next_rand(rows), v, 128);
        } else {
            for (unsigned long i = 0; i < rows / 100; i++)
                (void)(esepy ? e_range(next_rand(rows), 100) : s_range(next_rand(rows), 100));
        }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        double d = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
        if (d < best)
            best = d;
    }
    printf("%s %s: min cpu %.1f ns/row\n", argv[1], w, best / (double)rows * 1e9);
    if (esepy)
        e_close();
    else
        s_close();
    return 0;
}
