/*
 * lockorder_test.c -- the debug builds' lock checker (csrc/os/os_thread.c,
 * ranks in csrc/os/lockorder.h): taking locks out of order, taking one twice,
 * releasing one not held and asserting a lock that is not held all abort
 * with the names of the locks; locks in order, trylock, rwlocks and condition
 * waits pass.  Each violation runs in a forked child whose stderr is read
 * back; the parent checks that it died of SIGABRT and what it said.
 *
 * The unit harness compiles the engine without NDEBUG, so ESEPY_LOCK_CHECK
 * is on here (checked first).  The last tests invert two real locks of a
 * running instance (inst.lock, then tempLock) the same way, and check the
 * page latches' place in the order (LOCK_RANK_LATCH, os_thread.c T2, cache.c
 * L5): a lock ranked at or below latches taken under a latch aborts, as does
 * waiting for a latch under a lock ranked above them.
 */
#include "unit.h"

#include "api_int.h"
#include "cache.h"
#include "isam_int.h"
#include "os.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run fn in a child; return its wait status and its stderr in out. */
static int run_child(void (*fn)(void *), void *ctx, char *out, size_t cbOut)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        abort();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], 2);
        fn(ctx);
        _exit(0);
    }
    close(pfd[1]);
    size_t cb = 0;
    ssize_t n;
    while (cb + 1 < cbOut && (n = read(pfd[0], out + cb, cbOut - 1 - cb)) > 0)
        cb += (size_t)n;
    out[cb] = '\0';
    close(pfd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static int aborted(int status)
{
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static os_mutex_t mLow = OS_MUTEX_INIT("test.low", LOCK_RANK_TEST_LOW);
static os_mutex_t mHigh = OS_MUTEX_INIT("test.high", LOCK_RANK_TEST_HIGH);
static os_rwlock_t rwLow = OS_RWLOCK_INIT("test.rwlow", LOCK_RANK_TEST_LOW);

TEST(checker_is_on_in_this_build)
{
    CHECK(ESEPY_LOCK_CHECK == 1);
    CHECK(os_lock_held_count() == 0);
    os_mutex_lock(&mLow);
    CHECK(os_lock_held_count() == 1);
    os_mutex_unlock(&mLow);
    CHECK(os_lock_held_count() == 0);
}

static void in_order(void *ctx)
{
    (void)ctx;
    os_mutex_lock(&mLow);
    os_mutex_lock(&mHigh);
    os_mutex_assert_held(&mLow);
    os_mutex_assert_held(&mHigh);
    os_mutex_unlock(&mLow); /* any release order */
    os_mutex_unlock(&mHigh);
    os_rwlock_rdlock(&rwLow);
    os_rwlock_assert_held(&rwLow);
    os_mutex_lock(&mHigh);
    os_mutex_unlock(&mHigh);
    os_rwlock_unlock(&rwLow);
    /* trylock may go against the order (it cannot wait) */
    os_mutex_lock(&mHigh);
    if (!os_mutex_trylock(&mLow))
        _exit(3);
    os_mutex_unlock(&mLow);
    os_mutex_unlock(&mHigh);
    if (os_lock_held_count() != 0)
        _exit(4);
}

TEST(locks_in_order_pass)
{
    char out[4096];
    int st = run_child(in_order, NULL, out, sizeof(out));
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "child: %s\n", out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void inverted(void *ctx)
{
    (void)ctx;
    os_mutex_lock(&mHigh);
    os_mutex_lock(&mLow); /* aborts */
}

TEST(inversion_aborts_naming_both_locks)
{
    char out[4096];
    int st = run_child(inverted, NULL, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "lock order violated") != NULL);
    CHECK(strstr(out, "taking test.low") != NULL);
    CHECK(strstr(out, "holding test.high") != NULL);
}

static void inverted_rw(void *ctx)
{
    (void)ctx;
    os_mutex_lock(&mHigh);
    os_rwlock_rdlock(&rwLow); /* shared counts too */
}

TEST(shared_inversion_aborts)
{
    char out[4096];
    int st = run_child(inverted_rw, NULL, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "taking test.rwlow") != NULL && strstr(out, "holding test.high") != NULL);
}

static void twice(void *ctx)
{
    (void)ctx;
    os_mutex_lock(&mLow);
    os_mutex_lock(&mLow); /* would deadlock: aborts first */
}

TEST(taking_a_held_lock_aborts)
{
    char out[4096];
    int st = run_child(twice, NULL, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "test.low") != NULL && strstr(out, "again") != NULL);
}

static void not_held(void *ctx)
{
    (void)ctx;
    os_mutex_assert_held(&mLow);
}

TEST(assert_held_aborts_when_not_held)
{
    char out[4096];
    int st = run_child(not_held, NULL, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "test.low is not held") != NULL);
}

static os_cond_t cond = OS_COND_INIT;
static int signalled;

static void *signaller(void *pv)
{
    (void)pv;
    os_mutex_lock(&mLow);
    signalled = 1;
    os_cond_broadcast(&cond);
    os_mutex_unlock(&mLow);
    return NULL;
}

TEST(cond_wait_keeps_the_list)
{
    os_thread_t t;
    os_mutex_lock(&mLow);
    signalled = 0;
    CHECK_ERR(os_thread_create(&t, signaller, NULL), JET_errSuccess);
    while (!signalled)
        os_cond_wait(&cond, &mLow);
    os_mutex_assert_held(&mLow);
    CHECK(os_lock_held_count() == 1);
    os_mutex_unlock(&mLow);
    os_thread_join(t, NULL);
    CHECK(os_lock_held_count() == 0);
}

/* ---- the engine's own locks ------------------------------------------------ */

static JET_INSTANCE start_instance(const char *dir)
{
    JET_INSTANCE inst = 0;
    if (JetCreateInstance2(&inst, "lockorder", "lockorder", 0) < 0)
        return 0;
    char path[1100];
    snprintf(path, sizeof(path), "%s/", dir);
    const unsigned long ids[] = { JET_paramSystemPath, JET_paramLogFilePath, JET_paramTempPath };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (JetSetSystemParameter(&inst, 0, ids[i], 0, path) < 0)
            return 0;
    if (JetInit(&inst) < 0)
        return 0;
    return inst;
}

static isam_inst *engine_of(JET_INSTANCE inst)
{
    if (proc_lock() < 0)
        return NULL;
    instance *pinst = inst_find_locked(inst, 0);
    isam_inst *pi = pinst ? pinst->isam : NULL;
    proc_unlock();
    return pi;
}

static void engine_inverted(void *ctx)
{
    isam_inst *pi = ctx;
    os_mutex_lock(&pi->lock);
    os_mutex_lock(&pi->tempLock); /* temp.c takes tempLock first: aborts */
}

static void engine_in_order(void *ctx)
{
    isam_inst *pi = ctx;
    os_mutex_lock(&pi->tempLock);
    os_mutex_lock(&pi->lock);
    os_mutex_unlock(&pi->lock);
    os_mutex_unlock(&pi->tempLock);
}

TEST(engine_lock_inversion_aborts)
{
    JET_INSTANCE inst = start_instance(unit_dir("engine_inversion"));
    CHECK(inst != 0);
    isam_inst *pi = engine_of(inst);
    CHECK(pi != NULL);
    char out[4096];
    int st = run_child(engine_in_order, pi, out, sizeof(out));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = run_child(engine_inverted, pi, out, sizeof(out));
    CHECK_ERR(JetTerm(inst), JET_errSuccess);
    CHECK(aborted(st));
    CHECK(strstr(out, "taking isam.inst.tempLock") != NULL);
    CHECK(strstr(out, "holding isam.inst.lock") != NULL);
}

/* Regression: the engine reports events (recovery, a fatal I/O error found
 * by a checkpoint) with its own locks held, and event_emit read the sink
 * under proc.lock, which the api holds while it calls into the engine
 * (JetTerm -> isam_active_transactions takes inst.lock): an inversion.  The
 * sink now has its own leaf lock. */
static int sink_calls;

static void sink(const ESEPY_EVENT *pev, void *ctx)
{
    (void)pev;
    (void)ctx;
    sink_calls++;
}

static void event_under_engine_locks(void *ctx)
{
    isam_inst *pi = ctx;
    os_mutex_lock(&pi->ckptMu);
    os_mutex_lock(&pi->lock);
    pi->cfg.event(pi->cfg.eventctx, ESEPY_EVENT_INSTANCE_FATAL, ESEPY_LEVEL_ERROR, JET_errDiskIO, "test", 0, NULL);
    os_mutex_unlock(&pi->lock);
    os_mutex_unlock(&pi->ckptMu);
    _exit(sink_calls == 1 ? 0 : 5);
}

TEST(engine_event_under_engine_locks_keeps_the_order)
{
    JET_INSTANCE inst = start_instance(unit_dir("engine_event"));
    CHECK(inst != 0);
    isam_inst *pi = engine_of(inst);
    CHECK(pi != NULL && pi->cfg.event != NULL);
    CHECK_ERR(EsepySetEventCallback(sink, NULL), JET_errSuccess);
    char out[4096];
    int st = run_child(event_under_engine_locks, pi, out, sizeof(out));
    CHECK_ERR(EsepySetEventCallback(NULL, NULL), JET_errSuccess);
    CHECK_ERR(JetTerm(inst), JET_errSuccess);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "child (status %d): %s\n", st, out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- page latches (lockorder.h LOCK_RANK_LATCH, cache.c L5) ------------------ */

/* A running instance with one database attached (its dbid in *pdbid). */
static JET_INSTANCE start_with_db(const char *name, JET_SESID *psid, JET_DBID *pdbid)
{
    const char *dir = unit_dir(name);
    JET_INSTANCE inst = start_instance(dir);
    char db[1200];
    snprintf(db, sizeof(db), "%s/latch.edb", dir);
    if (inst == 0 || JetBeginSession(inst, psid, NULL, NULL) < 0 || JetCreateDatabase(*psid, db, NULL, pdbid, 0) < 0)
        return 0;
    return inst;
}

static isam_db *first_db(isam_inst *pi)
{
    for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++)
        if (pi->dbs[i])
            return pi->dbs[i];
    return NULL;
}

/* The old ver_create_tree (before 5067261): inst.lock taken under a latch. */
static void latch_then_inst_lock(void *ctx)
{
    isam_inst *pi = ctx;
    isam_db *pdb = first_db(pi);
    bf *pbf = NULL;
    if (pdb == NULL || cache_read(pi->pc, pdb->dbid, pdb->hdr.pgnoSpace, LATCH_EXCLUSIVE, &pbf) < 0)
        _exit(7);
    if (os_latch_held_count() != 1)
        _exit(8);
    os_mutex_lock(&pi->lock); /* aborts */
    _exit(0);
}

static void latch_then_ckpt(void *ctx)
{
    isam_inst *pi = ctx;
    isam_db *pdb = first_db(pi);
    bf *pbf = NULL;
    if (pdb == NULL || cache_read(pi->pc, pdb->dbid, pdb->hdr.pgnoSpace, LATCH_SHARED, &pbf) < 0)
        _exit(7);
    os_rwlock_rdlock(&pi->ckpt); /* aborts */
    _exit(0);
}

/* The allowed order: inst.lock, then a latch (version cleanup waits for
 * latches under inst.lock); a latch, then hdrLock (the write-ahead callback);
 * and inst.lock once the latch is released. */
static void latch_in_order(void *ctx)
{
    isam_inst *pi = ctx;
    isam_db *pdb = first_db(pi);
    bf *pbf = NULL;
    if (pdb == NULL)
        _exit(7);
    os_mutex_lock(&pi->lock);
    if (cache_read(pi->pc, pdb->dbid, pdb->hdr.pgnoSpace, LATCH_SHARED, &pbf) < 0)
        _exit(7);
    cache_release(pbf);
    os_mutex_unlock(&pi->lock);
    if (cache_read(pi->pc, pdb->dbid, pdb->hdr.pgnoSpace, LATCH_SHARED, &pbf) < 0)
        _exit(7);
    os_mutex_lock(&pdb->hdrLock);
    os_mutex_unlock(&pdb->hdrLock);
    cache_release(pbf);
    if (os_latch_held_count() != 0)
        _exit(8);
    os_mutex_lock(&pi->lock);
    os_mutex_unlock(&pi->lock);
    _exit(0);
}

static void hdr_lock_then_latch(void *ctx)
{
    isam_inst *pi = ctx;
    isam_db *pdb = first_db(pi);
    bf *pbf = NULL;
    if (pdb == NULL)
        _exit(7);
    os_mutex_lock(&pdb->hdrLock);
    (void)cache_read(pi->pc, pdb->dbid, pdb->hdr.pgnoSpace, LATCH_SHARED, &pbf); /* aborts */
    _exit(0);
}

static void release_unheld_latch(void *ctx)
{
    (void)ctx;
    os_latch_released(); /* aborts */
    _exit(0);
}

TEST(latches_are_leaf_level_below_the_instance_lock)
{
    JET_SESID sid = 0;
    JET_DBID dbid = 0;
    JET_INSTANCE inst = start_with_db("latch_order", &sid, &dbid);
    CHECK(inst != 0);
    isam_inst *pi = engine_of(inst);
    CHECK(pi != NULL && first_db(pi) != NULL);
    char out[4096];
    int st = run_child(latch_in_order, pi, out, sizeof(out));
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "child (status %d): %s\n", st, out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    st = run_child(latch_then_inst_lock, pi, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "taking isam.inst.lock") != NULL);
    CHECK(strstr(out, "holding 1 page latch") != NULL);

    st = run_child(latch_then_ckpt, pi, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "taking isam.inst.ckpt") != NULL);

    st = run_child(hdr_lock_then_latch, pi, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "waiting for a page latch") != NULL);
    CHECK(strstr(out, "holding isam.db.hdrLock") != NULL);

    st = run_child(release_unheld_latch, NULL, out, sizeof(out));
    CHECK(aborted(st));
    CHECK(strstr(out, "holds none") != NULL);

    CHECK_ERR(JetEndSession(sid, 0), JET_errSuccess);
    CHECK_ERR(JetTerm(inst), JET_errSuccess);
}

/* Regression (commit 5067261, found only under load in test_py_stress): a
 * table created as the first logged change of its transaction announced its
 * tree (UNDO_TREE, ver_create_tree) with the space page and the new root
 * latched, and log_undo_rec took inst.lock there to record the transaction's
 * first lsn, while ver_cleanup_locked waits for latches holding inst.lock: a
 * deadlock of DDL against commit cleanup.  With latches in the checker this
 * single-threaded run aborts on the old code ("taking isam.inst.lock ...
 * while holding 2 page latch(es)"). */
static void create_table_first_in_transaction(void *ctx)
{
    (void)ctx;
    JET_SESID sid = 0;
    JET_DBID dbid = 0;
    JET_TABLEID tid = 0;
    JET_INSTANCE inst = start_with_db("latch_ddl", &sid, &dbid);
    if (inst == 0)
        _exit(7);
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "t%d", i);
        if (JetBeginTransaction(sid) < 0 || JetCreateTable(sid, dbid, name, 0, 100, &tid) < 0 ||
            JetCloseTable(sid, tid) < 0 || JetCommitTransaction(sid, 0) < 0)
            _exit(6);
    }
    if (JetEndSession(sid, 0) < 0 || JetTerm(inst) < 0)
        _exit(5);
    _exit(os_latch_held_count() == 0 && os_lock_held_count() == 0 ? 0 : 4);
}

TEST(create_table_takes_no_instance_lock_under_latches)
{
    char out[4096];
    int st = run_child(create_table_first_in_transaction, NULL, out, sizeof(out));
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        fprintf(stderr, "child (status %d): %s\n", st, out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

UNIT_MAIN()
