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
 *               "read": the read-back alone; "cpu": the process's CPU time
 *               of the timed part, user + system)
 * SQLite: WAL, synchronous=NORMAL, WITHOUT ROWID.  Built by run.py with the
 * system's compiler, sqlite3.h and libsqlite3; not a test, nothing is asserted.
 * The table and both engines' operations: bench_kv_c.h (shared with
 * bench_scan_c.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "bench_kv_c.h"

#define BIG (100 * 1024)

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
        e_open(folder, "run_c", big);
    else
        s_open(folder);
    double t = 0, tRead = -1, cpu = -1;
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
        double t0 = now(), c0 = cpu_now();
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
        cpu = cpu_now() - c0;
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
        printf("{\"s\": %.6f, \"read\": %.6f, \"cpu\": %.6f}\n", t, tRead, cpu);
    else
        printf("{\"s\": %.6f}\n", t);
    return 0;
}
