/*
 * threads_tsan.c -- a multi-threaded workload on the public Jet* API, built
 * with ThreadSanitizer by tests/tsan/test_tsan.py and checked against a model.
 *
 * Sessions on NTHREADS threads each insert their own rows and, in the same
 * transactions, add to one hot counter row that every thread updates (write
 * conflicts: the loser rolls back and retries); commits alternate between
 * durable and lazy; a reader thread scans the table under snapshot isolation
 * (a scan must never see a torn transaction: the count of rows a writer
 * inserted always equals the counter contribution it recorded in the same
 * transaction); an online backup and checkpoints run meanwhile.  At the end
 * the table must hold exactly the rows the writers' committed transactions
 * inserted and the counter must be their sum: the model.  TSan reports any
 * data race (the test fails on its exit code).
 *
 * Owns nothing of the engine; uses only esent.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <unistd.h>

#include "esent.h"

#define NTHREADS 4
static int TXNS_PER_THREAD = 120; /* argv[2] */
#define ROWS_PER_TXN 3
#define HOT_KEY 0

static JET_INSTANCE g_inst;
static char g_db[4096];
static JET_COLUMNID g_ck, g_cv, g_cw; /* key, value (thread id), writer counter (per thread) */
static _Atomic int g_writers_done;
static _Atomic long g_committed_rows[NTHREADS];
static _Atomic int g_failures;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "CHECK failed %s:%d: ", __FILE__, __LINE__);   \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
            atomic_fetch_add(&g_failures, 1);                              \
            return NULL;                                                   \
        }                                                                  \
    } while (0)

static JET_ERR open_table(JET_SESID ses, JET_TABLEID *pt)
{
    JET_DBID dbid;
    JET_ERR err = JetOpenDatabase(ses, g_db, NULL, &dbid, 0);
    if (err < 0)
        return err;
    return JetOpenTable(ses, dbid, "kv", NULL, 0, 0, pt);
}

static JET_ERR seek(JET_SESID ses, JET_TABLEID t, int32_t k)
{
    JET_ERR err = JetMakeKey(ses, t, &k, sizeof(k), JET_bitNewKey);
    return err < 0 ? err : JetSeek(ses, t, JET_bitSeekEQ);
}

/* One transaction of writer `id`: ROWS_PER_TXN new rows, and the hot row's
 * per-writer slot (a tagged multi-value would do too; a fixed column per
 * writer keeps it simple) grows by ROWS_PER_TXN.  Returns 1 committed, 0 a
 * write conflict (rolled back), <0 an error. */
static int one_txn(JET_SESID ses, JET_TABLEID t, int id, int n)
{
    JET_ERR err = JetBeginTransaction(ses);
    if (err < 0)
        return err;
    for (int r = 0; r < ROWS_PER_TXN && err >= 0; r++) {
        int32_t k = 1 + id * 1000000 + n * ROWS_PER_TXN + r;
        int32_t v = id;
        err = JetPrepareUpdate(ses, t, JET_prepInsert);
        if (err >= 0)
            err = JetSetColumn(ses, t, g_ck, &k, sizeof(k), 0, NULL);
        if (err >= 0)
            err = JetSetColumn(ses, t, g_cv, &v, sizeof(v), 0, NULL);
        if (err >= 0)
            err = JetUpdate(ses, t, NULL, 0, NULL);
    }
    if (err >= 0)
        err = seek(ses, t, HOT_KEY);
    if (err >= 0)
        err = JetPrepareUpdate(ses, t, JET_prepReplace);
    if (err >= 0) {
        /* the hot row holds, in column w, the sum over all writers */
        int64_t sum = 0;
        uint32_t cb = 0;
        err = JetRetrieveColumn(ses, t, g_cw, &sum, sizeof(sum), &cb, JET_bitRetrieveCopy, NULL);
        if (err >= 0) {
            sum += ROWS_PER_TXN;
            err = JetSetColumn(ses, t, g_cw, &sum, sizeof(sum), 0, NULL);
        }
    }
    if (err >= 0)
        err = JetUpdate(ses, t, NULL, 0, NULL);
    if (err >= 0)
        err = JetCommitTransaction(ses, (n % 2) ? JET_bitCommitLazyFlush : 0);
    if (err < 0) {
        JetRollback(ses, 0);
        return err == JET_errWriteConflict ? 0 : err;
    }
    return 1;
}

static void *writer_body(int id);

/* A writer counts itself done however it ends, so the reader never waits for
 * a writer that failed. */
static void *writer(void *pv)
{
    void *r = writer_body((int)(intptr_t)pv);
    atomic_fetch_add(&g_writers_done, 1);
    return r;
}

static void *writer_body(int id)
{
    JET_SESID ses;
    JET_TABLEID t;
    CHECK(JetBeginSession(g_inst, &ses, NULL, NULL) == 0, "begin session");
    CHECK(open_table(ses, &t) == 0, "open table");
    for (int n = 0; n < TXNS_PER_THREAD; n++) {
        int rc;
        int tries = 0;
        while ((rc = one_txn(ses, t, id, n)) == 0)
            CHECK(++tries < 100000, "writer %d starved", id);
        CHECK(rc == 1, "writer %d txn %d: %d", id, n, rc);
        atomic_fetch_add(&g_committed_rows[id], ROWS_PER_TXN);
    }
    JetCloseTable(ses, t);
    JetEndSession(ses, 0);
    return NULL;
}

/* Scans under snapshot isolation: the rows seen always add up to the hot
 * counter seen in the same snapshot (transactions are atomic to readers). */
static void *reader(void *pv)
{
    (void)pv;
    JET_SESID ses;
    JET_TABLEID t;
    int scans = 0;
    CHECK(JetBeginSession(g_inst, &ses, NULL, NULL) == 0, "begin session");
    CHECK(open_table(ses, &t) == 0, "open table");
    while ((atomic_load(&g_writers_done) < NTHREADS || scans < 3) && atomic_load(&g_failures) == 0) {
        CHECK(JetBeginTransaction(ses) == 0, "reader begin");
        int64_t rows = 0, sum = 0;
        JET_ERR err = JetMove(ses, t, JET_MoveFirst, 0);
        while (err == 0) {
            int32_t k = 0;
            uint32_t cb = 0;
            CHECK(JetRetrieveColumn(ses, t, g_ck, &k, sizeof(k), &cb, 0, NULL) == 0, "retrieve key");
            if (k == HOT_KEY) {
                CHECK(JetRetrieveColumn(ses, t, g_cw, &sum, sizeof(sum), &cb, 0, NULL) >= 0, "retrieve sum");
            } else {
                rows++;
            }
            err = JetMove(ses, t, JET_MoveNext, 0);
        }
        CHECK(err == JET_errNoCurrentRecord, "scan ended with %d", (int)err);
        CHECK(rows == sum, "snapshot saw %lld rows but a counter of %lld", (long long)rows, (long long)sum);
        JetCommitTransaction(ses, 0);
        scans++;
    }
    JetCloseTable(ses, t);
    JetEndSession(ses, 0);
    return NULL;
}

static void *backup(void *pv)
{
    const char *folder = pv;
    JET_ERR err = JetBackupInstance(g_inst, folder, 0, NULL);
    CHECK(err == 0, "online backup: %d", (int)err);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH-FOLDER [TXNS-PER-THREAD [circular]]\n", argv[0]);
        return 2;
    }
    if (argc > 2)
        TXNS_PER_THREAD = atoi(argv[2]);
    int circular = argc > 3 && strcmp(argv[3], "circular") == 0;
    char dir[4096], bk[4096];
    snprintf(dir, sizeof(dir), "%s/", argv[1]);
    snprintf(bk, sizeof(bk), "%s/bk", argv[1]);
    snprintf(g_db, sizeof(g_db), "%s/a.edb", argv[1]);
    alarm(600); /* a hang is a failure, not a stuck CI */
    if (JetCreateInstance(&g_inst, "tsan") < 0)
        return 1;
    JetSetSystemParameter(&g_inst, 0, JET_paramSystemPath, 0, dir);
    JetSetSystemParameter(&g_inst, 0, JET_paramLogFilePath, 0, dir);
    JetSetSystemParameter(&g_inst, 0, JET_paramTempPath, 0, dir);
    JetSetSystemParameter(&g_inst, 0, JET_paramLogFileSize, 128, NULL); /* many log rolls */
    JetSetSystemParameter(&g_inst, 0, JET_paramCreatePathIfNotExist, 1, NULL);
    JetSetSystemParameter(&g_inst, 0, JET_paramCircularLog, circular, NULL);
    JET_ERR err = JetInit(&g_inst);
    if (err < 0) {
        fprintf(stderr, "JetInit: %d\n", (int)err);
        return 1;
    }
    /* schema: kv(k long primary, v long, w longlong) with the hot row */
    JET_SESID ses;
    JET_DBID dbid;
    JET_TABLEID t;
    JET_COLUMNDEF cd;
    if (JetBeginSession(g_inst, &ses, NULL, NULL) < 0 || JetCreateDatabase(ses, g_db, NULL, &dbid, 0) < 0 ||
        JetBeginTransaction(ses) < 0 || JetCreateTable(ses, dbid, "kv", 0, 100, &t) < 0)
        return 1;
    memset(&cd, 0, sizeof(cd));
    cd.cbStruct = sizeof(cd);
    cd.coltyp = JET_coltypLong;
    cd.grbit = JET_bitColumnFixed;
    if (JetAddColumn(ses, t, "k", &cd, NULL, 0, &g_ck) < 0 || JetAddColumn(ses, t, "v", &cd, NULL, 0, &g_cv) < 0)
        return 1;
    cd.coltyp = JET_coltypLongLong;
    if (JetAddColumn(ses, t, "w", &cd, NULL, 0, &g_cw) < 0)
        return 1;
    if (JetCreateIndex(ses, t, "primary", JET_bitIndexPrimary, "+k\0", 4, 100) < 0)
        return 1;
    int32_t hot = HOT_KEY;
    int64_t zero = 0;
    if (JetPrepareUpdate(ses, t, JET_prepInsert) < 0 || JetSetColumn(ses, t, g_ck, &hot, 4, 0, NULL) < 0 ||
        JetSetColumn(ses, t, g_cw, &zero, 8, 0, NULL) < 0 || JetUpdate(ses, t, NULL, 0, NULL) < 0 ||
        JetCommitTransaction(ses, 0) < 0)
        return 1;
    JetCloseTable(ses, t);

    pthread_t th[NTHREADS + 2];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
    pthread_create(&th[NTHREADS], NULL, reader, NULL);
    /* the backup runs while the writers are busy */
    char mk[4200];
    snprintf(mk, sizeof(mk), "%s", bk);
    pthread_create(&th[NTHREADS + 1], NULL, backup, mk);
    for (int i = 0; i < NTHREADS + 2; i++)
        pthread_join(th[i], NULL);

    /* the model: every committed row, and the counter as their sum */
    long want = 0;
    for (int i = 0; i < NTHREADS; i++)
        want += atomic_load(&g_committed_rows[i]);
    JET_TABLEID t2;
    long rows = 0;
    int64_t sum = -1;
    uint32_t cb;
    if (open_table(ses, &t2) < 0)
        return 1;
    err = JetMove(ses, t2, JET_MoveFirst, 0);
    while (err == 0) {
        int32_t k;
        JetRetrieveColumn(ses, t2, g_ck, &k, 4, &cb, 0, NULL);
        if (k == HOT_KEY)
            JetRetrieveColumn(ses, t2, g_cw, &sum, 8, &cb, 0, NULL);
        else
            rows++;
        err = JetMove(ses, t2, JET_MoveNext, 0);
    }
    JetCloseTable(ses, t2);
    JetEndSession(ses, 0);
    err = JetTerm(g_inst);
    int failures = atomic_load(&g_failures);
    printf("rows %ld (model %ld), counter %lld, term %d, failures %d\n", rows, want, (long long)sum, (int)err,
           failures);
    if (rows != want || sum != want || err != 0 || failures != 0) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    printf("1 passed, 0 failed\n");
    return 0;
}
