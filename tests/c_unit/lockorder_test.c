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
 * running instance (inst.lock, then tempLock) the same way.
 */
#include "unit.h"

#include "api_int.h"
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

UNIT_MAIN()
