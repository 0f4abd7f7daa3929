/*
 * C test (ASan / LeakSanitizer) of online defragmentation, local storage and
 * shrinking through the public API: every task, session, context and
 * allocation they take is given back -- a defragmentation stopped by the
 * user, by detach and by JetTerm while it runs, contexts released by close,
 * session end and term, a shrink with its file cut.
 * (Behaviour is tested through cffi in tests/c_api/test_defragment.py and
 * test_local_storage.py; this is the leak and memory-error check.)
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "esent.h"

static int g_seq;
static _Atomic int g_done, g_freed;

static JET_ERR JET_API on_event(JET_SESID s, JET_DBID d, JET_TABLEID t, JET_CBTYP cbtyp, void *a1, void *a2,
                                void *ctx, JET_API_PTR u)
{
    (void)s, (void)d, (void)t, (void)a1, (void)a2, (void)ctx, (void)u;
    if (cbtyp == JET_cbtypOnlineDefragCompleted)
        atomic_fetch_add(&g_done, 1);
    else if (cbtyp == JET_cbtypFreeCursorLS || cbtyp == JET_cbtypFreeTableLS)
        atomic_fetch_add(&g_freed, 1);
    return JET_errSuccess;
}

typedef struct env {
    JET_INSTANCE inst;
    JET_SESID    ses;
    JET_DBID     dbid;
    JET_TABLEID  t;
    JET_COLUMNID ck, cv;
    char         db[1100];
} env;

/* An instance in dir with a.edb and table t (k Long primary, v Text): rows
 * 0..n-1, then three in five deleted. */
static JET_ERR setup(const char *dir, env *pe, int n)
{
    char name[32], path[1100];
    memset(pe, 0, sizeof(*pe));
    snprintf(name, sizeof(name), "dfr%d", g_seq++);
    JET_ERR err = JetCreateInstance2(&pe->inst, name, name, 0);
    snprintf(path, sizeof(path), "%s/", dir);
    const uint32_t ids[] = { JET_paramSystemPath, JET_paramLogFilePath, JET_paramTempPath };
    for (unsigned i = 0; err >= 0 && i < 3; i++)
        err = JetSetSystemParameter(&pe->inst, 0, ids[i], 0, path);
    if (err >= 0)
        err = JetSetSystemParameter(&pe->inst, 0, JET_paramLogFileSize, 256, NULL);
    if (err >= 0)
        err = JetSetSystemParameter(&pe->inst, 0, JET_paramRuntimeCallback, (JET_API_PTR)on_event, NULL);
    if (err >= 0)
        err = JetInit(&pe->inst);
    if (err >= 0)
        err = JetBeginSession(pe->inst, &pe->ses, NULL, NULL);
    snprintf(pe->db, sizeof(pe->db), "%s/a.edb", dir);
    if (err >= 0)
        err = JetCreateDatabase(pe->ses, pe->db, NULL, &pe->dbid, 0);
    if (err >= 0)
        err = JetCreateTable(pe->ses, pe->dbid, "t", 0, 0, &pe->t);
    JET_COLUMNDEF cd = { sizeof(cd), 0, JET_coltypLong, 0, 0, 0, 0, 0, 0 };
    if (err >= 0)
        err = JetAddColumn(pe->ses, pe->t, "k", &cd, NULL, 0, &pe->ck);
    cd.coltyp = JET_coltypBinary;
    if (err >= 0)
        err = JetAddColumn(pe->ses, pe->t, "v", &cd, NULL, 0, &pe->cv);
    if (err >= 0)
        err = JetCreateIndex(pe->ses, pe->t, "pk", JET_bitIndexPrimary, "+k\0", 4, 100);
    char v[150];
    memset(v, 'v', sizeof(v));
    if (err >= 0)
        err = JetBeginTransaction(pe->ses);
    for (int32_t k = 0; err >= 0 && k < n; k++) {
        err = JetPrepareUpdate(pe->ses, pe->t, JET_prepInsert);
        if (err >= 0)
            err = JetSetColumn(pe->ses, pe->t, pe->ck, &k, 4, 0, NULL);
        if (err >= 0)
            err = JetSetColumn(pe->ses, pe->t, pe->cv, v, sizeof(v), 0, NULL);
        if (err >= 0)
            err = JetUpdate(pe->ses, pe->t, NULL, 0, NULL);
    }
    if (err >= 0)
        err = JetMove(pe->ses, pe->t, JET_MoveFirst, 0);
    for (int i = 0; err >= 0; i++) {
        if (i % 5 != 0 && i % 5 != 3)
            err = JetDelete(pe->ses, pe->t);
        if (err >= 0 && JetMove(pe->ses, pe->t, JET_MoveNext, 0) < 0)
            break;
    }
    if (err >= 0)
        err = JetCommitTransaction(pe->ses, 0);
    return err;
}

TEST(defragment_stopped_by_user_detach_and_term)
{
    env e;
    const char *dir = unit_dir("defrag_stop");
    CHECK_ERR(setup(dir, &e, 3000), JET_errSuccess);
    uint32_t passes = 0, secs = 0;
    /* to the end, then reaped by a stop */
    CHECK_ERR(JetDefragment2(e.ses, e.dbid, NULL, NULL, NULL, on_event, JET_bitDefragmentBatchStart), 0);
    CHECK_ERR(JetDefragment(e.ses, e.dbid, NULL, &passes, &secs, JET_bitDefragmentBatchStop) >= 0, 1);
    CHECK_ERR(JetDefragment(e.ses, e.dbid, NULL, NULL, NULL, JET_bitDefragmentBatchStop), JET_wrnDefragNotRunning);
    /* one table, then a detach stops it */
    CHECK_ERR(JetDefragment3(e.ses, e.db, "t", NULL, NULL, on_event, NULL, JET_bitDefragmentBTree), 0);
    CHECK_ERR(JetCloseTable(e.ses, e.t), 0);
    CHECK_ERR(JetCloseDatabase(e.ses, e.dbid, 0), 0);
    CHECK_ERR(JetDetachDatabase(e.ses, e.db), 0);
    CHECK_ERR(JetAttachDatabase(e.ses, e.db, 0), 0);
    CHECK_ERR(JetOpenDatabase(e.ses, e.db, NULL, &e.dbid, 0), 0);
    /* and JetTerm stops one */
    CHECK_ERR(JetDefragment2(e.ses, e.dbid, NULL, NULL, NULL, on_event, 0), 0);
    CHECK_ERR(JetTerm(e.inst), 0);
    CHECK(atomic_load(&g_done) == 3);
}

TEST(local_storage_released)
{
    env e;
    const char *dir = unit_dir("defrag_ls");
    CHECK_ERR(setup(dir, &e, 10), JET_errSuccess);
    JET_TABLEID t2;
    JET_LS ls = 0;
    atomic_store(&g_freed, 0);
    CHECK_ERR(JetOpenTable(e.ses, e.dbid, "t", NULL, 0, 0, &t2), 0);
    CHECK_ERR(JetSetLS(e.ses, e.t, 1, JET_bitLSCursor), 0);
    CHECK_ERR(JetSetLS(e.ses, t2, 2, JET_bitLSTable), 0);
    CHECK_ERR(JetSetLS(e.ses, t2, 3, JET_bitLSTable), JET_errLSAlreadySet);
    CHECK_ERR(JetGetLS(e.ses, e.t, &ls, JET_bitLSTable | JET_bitLSReset), 0);
    CHECK(ls == 2);
    CHECK_ERR(JetSetLS(e.ses, t2, 4, JET_bitLSTable), 0);
    CHECK_ERR(JetCloseTable(e.ses, e.t), 0);
    CHECK(atomic_load(&g_freed) == 1);
    CHECK_ERR(JetSetLS(e.ses, t2, 5, 0), 0);
    CHECK_ERR(JetTerm(e.inst), 0);   /* the session's cursor and the table's context */
    CHECK(atomic_load(&g_freed) == 3);
}

TEST(shrink_cuts_the_file)
{
    env e;
    const char *dir = unit_dir("defrag_shrink");
    CHECK_ERR(setup(dir, &e, 2000), JET_errSuccess);
    uint32_t before = 0, after = 0;
    CHECK_ERR(JetResizeDatabase(e.ses, e.dbid, 100000, &before, JET_bitResizeDatabaseOnlyGrow), 0);
    CHECK_ERR(JetResizeDatabase(e.ses, e.dbid, 1, &after, JET_bitResizeDatabaseOnlyShrink), 0);
    CHECK(after < before && before == 100000);
    CHECK_ERR(JetTerm(e.inst), 0);
}

UNIT_MAIN()
