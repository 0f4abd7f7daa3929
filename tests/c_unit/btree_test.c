/*
 * Unit tests of the btree layer (csrc/btree): record operations against a
 * reference model, splits and merges at every level, free-space reuse,
 * cursors (also across other sessions' changes), redo of the log, drop,
 * concurrency, 4 KiB and 32 KiB pages.
 *
 * The log is a fake kept in memory (every record with its lsn), so redo is
 * tested by replaying it onto a fresh database and comparing every page.
 */
#include <pthread.h>
#include <stdatomic.h>
#include "unit.h"
#include "btree.h"
#include "cache_int.h" /* cache_get_stats: prove that no path leaves a latch held */

static uint32_t latches_held(cache *pc)
{
    cache_stats st;
    cache_get_stats(pc, &st);
    return st.clatched;
}
#define LATCHES_HELD(pc) latches_held(pc)

/* A failing check inside a helper: report, mark the test failed, return -1. */
#define REQUIRE(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
            unit_failed_current = 1;                                               \
            return -1;                                                             \
        }                                                                          \
    } while (0)
#define REQUIRE_ERR(expr, want)                                                    \
    do {                                                                           \
        long long got_ = (long long)(expr), want_ = (long long)(want);             \
        if (got_ != want_) {                                                       \
            fprintf(stderr, "%s:%d: %s returned %lld, expected %lld\n", __FILE__,  \
                    __LINE__, #expr, got_, want_);                                 \
            unit_failed_current = 1;                                               \
            return -1;                                                             \
        }                                                                          \
    } while (0)

/* ---- random numbers ---------------------------------------------------------- */

typedef struct rng { uint64_t s; } rng;

static uint32_t rnd(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}

/* ---- fake log ------------------------------------------------------------------- */

typedef struct flog_rec {
    uint8_t  type;
    lsn_t    lsn;
    uint32_t cb;
    size_t   off;
} flog_rec;

typedef struct flog {
    pthread_mutex_t mu;
    uint8_t  *buf;
    size_t    cb, cbMax;
    flog_rec *recs;
    size_t    crec, crecMax;
    lsn_t     next;
    long      failAt;    /* index of the append to fail, -1 = never */
} flog;

static JET_ERR flog_append(void *ctx, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn)
{
    flog *pl = ctx;
    JET_ERR err = JET_errSuccess;
    uint32_t cb = 0;
    for (uint32_t i = 0; i < cpart; i++)
        cb += parts[i].cb;
    pthread_mutex_lock(&pl->mu);
    if (pl->failAt >= 0 && (long)pl->crec == pl->failAt) {
        pl->failAt = -1;
        err = JET_errLogWriteFail;
        goto done;
    }
    while (pl->cb + cb > pl->cbMax) {
        pl->cbMax = pl->cbMax ? 2 * pl->cbMax : 1 << 20;
        pl->buf = realloc(pl->buf, pl->cbMax);
    }
    if (pl->crec == pl->crecMax) {
        pl->crecMax = pl->crecMax ? 2 * pl->crecMax : 4096;
        pl->recs = realloc(pl->recs, pl->crecMax * sizeof *pl->recs);
    }
    flog_rec *rec = &pl->recs[pl->crec++];
    rec->type = type;
    rec->lsn = pl->next;
    rec->cb = cb;
    rec->off = pl->cb;
    for (uint32_t i = 0; i < cpart; i++) {
        if (parts[i].cb)
            memcpy(pl->buf + pl->cb, parts[i].pv, parts[i].cb);
        pl->cb += parts[i].cb;
    }
    pl->next += 16 + cb;
    *plsn = rec->lsn;
done:
    pthread_mutex_unlock(&pl->mu);
    return err;
}

/* ---- a test database -------------------------------------------------------------- */

#define TDB_DBID 3

static uint32_t tdb_frames = 256;   /* cache size of the next tdb_open */

typedef struct tdb {
    cache   *pc;
    bt_env   env;
    flog     log;
    uint32_t pgnoSpace;
} tdb;

static JET_ERR wal_ok(void *ctx, lsn_t lsn)
{
    (void)ctx;
    (void)lsn;
    return JET_errSuccess;
}

/* Create an empty file `name` in the scratch folder and register it. */
static int tdb_open_file(tdb *t, const char *name, uint32_t cbPage, int logged)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.edb", unit_dir(name), name);
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->log.mu, NULL);
    t->log.next = LSN_MAKE(1, 1, 0);
    t->log.failAt = -1;
    os_file *pf = NULL;
    REQUIRE_ERR(os_file_open(path, OS_FILE_WRITE | OS_FILE_TRUNCATE, &pf), JET_errSuccess);
    REQUIRE_ERR(cache_create(cbPage, tdb_frames, &t->pc), JET_errSuccess);
    cache_set_wal(t->pc, wal_ok, NULL);
    REQUIRE_ERR(cache_open_file(t->pc, TDB_DBID, pf), JET_errSuccess);
    t->env.pc = t->pc;
    t->env.dbid = TDB_DBID;
    t->env.log = logged ? flog_append : NULL;
    t->env.logctx = &t->log;
    t->env.cpgExtend = 16;
    return 0;
}

static int tdb_open(tdb *t, const char *name, uint32_t cbPage, int logged)
{
    if (tdb_open_file(t, name, cbPage, logged) != 0)
        return -1;
    REQUIRE_ERR(bt_space_init(&t->env, &t->pgnoSpace), JET_errSuccess);
    REQUIRE(t->pgnoSpace == 1);
    return 0;
}

static void tdb_close(tdb *t)
{
    if (t->pc) {
        cache_close_file(t->pc, TDB_DBID, 0);
        cache_destroy(t->pc);
    }
    free(t->log.buf);
    free(t->log.recs);
    pthread_mutex_destroy(&t->log.mu);
    memset(t, 0, sizeof *t);
}

/* ---- reference model: a hash map of key -> (data, flags) ------------------------ */

typedef struct mentry {
    uint8_t *key, *data;
    uint32_t cbKey, cbData, flags;
    int      used;
} mentry;

typedef struct model {
    mentry *tab;
    size_t  cap, n;
} model;

static uint64_t mhash(const uint8_t *key, uint32_t cb)
{
    uint64_t h = 1469598103934665603ULL;
    for (uint32_t i = 0; i < cb; i++)
        h = (h ^ key[i]) * 1099511628211ULL;
    return h;
}

static mentry *model_slot(model *m, const uint8_t *key, uint32_t cbKey)
{
    size_t i = mhash(key, cbKey) & (m->cap - 1);
    while (m->tab[i].used && (m->tab[i].cbKey != cbKey || memcmp(m->tab[i].key, key, cbKey) != 0))
        i = (i + 1) & (m->cap - 1);
    return &m->tab[i];
}

static void model_init(model *m)
{
    m->cap = 1 << 17;
    m->n = 0;
    m->tab = calloc(m->cap, sizeof *m->tab);
}

static void model_free(model *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->tab[i].key);
        free(m->tab[i].data);
    }
    free(m->tab);
    memset(m, 0, sizeof *m);
}

static mentry *model_find(model *m, const uint8_t *key, uint32_t cbKey)
{
    mentry *e = model_slot(m, key, cbKey);
    return e->used ? e : NULL;
}

static void model_set(model *m, const uint8_t *key, uint32_t cbKey, const uint8_t *data, uint32_t cbData,
                      uint32_t flags)
{
    mentry *e = model_slot(m, key, cbKey);
    if (!e->used) {
        e->used = 1;
        e->key = malloc(cbKey ? cbKey : 1);
        memcpy(e->key, key, cbKey);
        e->cbKey = cbKey;
        m->n++;
    }
    free(e->data);
    e->data = malloc(cbData ? cbData : 1);
    if (cbData)
        memcpy(e->data, data, cbData);
    e->cbData = cbData;
    e->flags = flags;
}

/* Backward-shift deletion keeps linear probing valid without tombstones. */
static void model_del(model *m, const uint8_t *key, uint32_t cbKey)
{
    mentry *e = model_slot(m, key, cbKey);
    if (!e->used)
        return;
    free(e->key);
    free(e->data);
    memset(e, 0, sizeof *e);
    m->n--;
    size_t i = (size_t)(e - m->tab), j = i;
    for (;;) {
        j = (j + 1) & (m->cap - 1);
        if (!m->tab[j].used)
            return;
        size_t h = mhash(m->tab[j].key, m->tab[j].cbKey) & (m->cap - 1);
        /* Move j to i unless its home h lies cyclically in (i, j]. */
        if ((i <= j) ? (i < h && h <= j) : (i < h || h <= j))
            continue;
        m->tab[i] = m->tab[j];
        memset(&m->tab[j], 0, sizeof m->tab[j]);
        i = j;
    }
}

static int cmp_entry(const void *a, const void *b)
{
    const mentry *x = *(const mentry *const *)a, *y = *(const mentry *const *)b;
    uint32_t cb = x->cbKey < y->cbKey ? x->cbKey : y->cbKey;
    int c = cb ? memcmp(x->key, y->key, cb) : 0;
    return c ? c : (x->cbKey < y->cbKey ? -1 : x->cbKey > y->cbKey);
}

/* The model's entries in key order (caller frees the array). */
static mentry **model_sorted(model *m)
{
    mentry **a = malloc((m->n + 1) * sizeof *a);
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->tab[i].used)
            a[k++] = &m->tab[i];
    qsort(a, k, sizeof *a, cmp_entry);
    return a;
}

static int keycmp(const void *a, uint32_t cba, const void *b, uint32_t cbb)
{
    uint32_t cb = cba < cbb ? cba : cbb;
    int c = cb ? memcmp(a, b, cb) : 0;
    return c ? c : (cba < cbb ? -1 : cba > cbb);
}

/* ---- generators --------------------------------------------------------------------- */

static uint32_t gen_key(rng *r, uint8_t *key, uint32_t cbMax)
{
    uint32_t u = rnd(r) % 100, cb;
    if (u < 15)
        cb = 1 + rnd(r) % 4;
    else if (u < 75)
        cb = 5 + rnd(r) % 20;
    else
        cb = 25 + rnd(r) % 176;
    if (cb > cbMax)
        cb = cbMax;
    for (uint32_t i = 0; i < cb; i++)
        key[i] = (rnd(r) % 10 < 7) ? (uint8_t)('a' + rnd(r) % 4) : (uint8_t)rnd(r);
    return cb;
}

static uint32_t gen_data(rng *r, uint8_t *data, uint32_t cbMax)
{
    uint32_t cb = (rnd(r) % 100 < 85) ? rnd(r) % 64 : rnd(r) % (cbMax + 1);
    if (cb > cbMax)
        cb = cbMax;
    for (uint32_t i = 0; i < cb; i++)
        data[i] = (uint8_t)rnd(r);
    return cb;
}

/* A 4-byte big-endian key: key order = numeric order. */
static void key_of(uint32_t i, uint8_t *key)
{
    key[0] = (uint8_t)(i >> 24);
    key[1] = (uint8_t)(i >> 16);
    key[2] = (uint8_t)(i >> 8);
    key[3] = (uint8_t)i;
}

/* ---- verification ------------------------------------------------------------------- */

/* The tree holds exactly the model: bt_check, a forward scan and (if
 * fBackward) a backward scan compare every node. */
static int verify(tdb *t, uint32_t root, model *m, int fBackward)
{
    uint64_t cnodes = 0;
    REQUIRE_ERR(bt_check(&t->env, root, &cnodes), JET_errSuccess);
    REQUIRE(cnodes == m->n);
    mentry **a = model_sorted(m);
    bt_cursor *cur = NULL;
    REQUIRE_ERR(bt_cursor_open(&t->env, root, &cur), JET_errSuccess);
    int rc = 0;
    JET_ERR err = bt_first(cur);
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const void *key, *data;
        uint32_t cbKey, cbData, flags;
        if (err != JET_errSuccess || bt_current(cur, &key, &cbKey, &data, &cbData, &flags) != JET_errSuccess ||
            keycmp(key, cbKey, a[i]->key, a[i]->cbKey) != 0 || cbData != a[i]->cbData ||
            (cbData && memcmp(data, a[i]->data, cbData) != 0) || flags != a[i]->flags) {
            fprintf(stderr, "forward scan mismatch at %zu (err %d)\n", i, (int)err);
            rc = -1;
        }
        err = bt_next(cur);
    }
    if (rc == 0 && err != (m->n ? JET_errNoCurrentRecord : JET_errRecordNotFound)) {
        fprintf(stderr, "forward scan did not end: %d\n", (int)err);
        rc = -1;
    }
    if (rc == 0 && fBackward) {
        err = bt_last(cur);
        for (size_t i = m->n; i-- > 0 && rc == 0;) {
            const void *key;
            uint32_t cbKey;
            if (err != JET_errSuccess || bt_current(cur, &key, &cbKey, NULL, NULL, NULL) != JET_errSuccess ||
                keycmp(key, cbKey, a[i]->key, a[i]->cbKey) != 0) {
                fprintf(stderr, "backward scan mismatch at %zu (err %d)\n", i, (int)err);
                rc = -1;
            }
            err = bt_prev(cur);
        }
        if (rc == 0 && err != (m->n ? JET_errNoCurrentRecord : JET_errRecordNotFound))
            rc = -1;
    }
    bt_cursor_close(cur);
    free(a);
    REQUIRE(rc == 0);
    REQUIRE(LATCHES_HELD(t->pc) == 0);
    return 0;
}

/* One random operation on the tree and the model; the result must match. */
static int random_op(tdb *t, uint32_t root, model *m, rng *r, int pctInsert)
{
    uint32_t cbMax = bt_node_max(cache_page_size(t->pc));
    uint8_t key[256], data[8192], out[8192];
    uint32_t cbKey = gen_key(r, key, 200), u = rnd(r) % 100;
    mentry *e = model_find(m, key, cbKey);
    if (u < (uint32_t)pctInsert) {
        uint32_t cbData = gen_data(r, data, cbMax - cbKey);
        JET_ERR err = bt_insert(&t->env, t->pgnoSpace, root, key, cbKey, data, cbData, 0);
        REQUIRE_ERR(err, e ? JET_errKeyDuplicate : JET_errSuccess);
        if (!e)
            model_set(m, key, cbKey, data, cbData, 0);
    } else if (u < (uint32_t)pctInsert + 15) {
        uint32_t cbData = gen_data(r, data, cbMax - cbKey);
        REQUIRE_ERR(bt_replace(&t->env, t->pgnoSpace, root, key, cbKey, data, cbData),
                    e ? JET_errSuccess : JET_errRecordNotFound);
        if (e)
            model_set(m, key, cbKey, data, cbData, e->flags);
    } else if (u < (uint32_t)pctInsert + 20) {
        uint32_t flags = rnd(r) & 1;
        REQUIRE_ERR(bt_set_flags(&t->env, root, key, cbKey, flags), e ? JET_errSuccess : JET_errRecordNotFound);
        if (e)
            e->flags = flags;
    } else if (u < 95) {
        /* Delete: mostly keys that exist (pick one by probing the model). */
        if (m->n > 0 && rnd(r) % 4 != 0) {
            size_t i = rnd(r) & (m->cap - 1);
            while (!m->tab[i].used)
                i = (i + 1) & (m->cap - 1);
            memcpy(key, m->tab[i].key, m->tab[i].cbKey);
            cbKey = m->tab[i].cbKey;
            e = &m->tab[i];
        }
        REQUIRE_ERR(bt_delete(&t->env, t->pgnoSpace, root, key, cbKey), e ? JET_errSuccess : JET_errRecordNotFound);
        if (e)
            model_del(m, key, cbKey);
    } else {
        uint32_t cbData = 0, flags = 0;
        JET_ERR err = bt_lookup(&t->env, root, key, cbKey, out, sizeof out, &cbData, &flags);
        REQUIRE_ERR(err, e ? JET_errSuccess : JET_errRecordNotFound);
        if (e)
            REQUIRE(cbData == e->cbData && memcmp(out, e->data, cbData) == 0 && flags == e->flags);
    }
    REQUIRE(LATCHES_HELD(t->pc) == 0);
    return 0;
}

static uint32_t file_owned(tdb *t)
{
    uint32_t cpgFree = 0, cpgOwned = 0;
    bt_space_stats(&t->env, t->pgnoSpace, &cpgFree, &cpgOwned);
    return cpgOwned;
}

static uint32_t file_free(tdb *t)
{
    uint32_t cpgFree = 0, cpgOwned = 0;
    bt_space_stats(&t->env, t->pgnoSpace, &cpgFree, &cpgOwned);
    return cpgFree;
}

/* Depth of a tree = 1 + level of its root. */
static uint32_t tree_depth(tdb *t, uint32_t root)
{
    bf *pbf = NULL;
    if (cache_read(t->pc, TDB_DBID, root, LATCH_SHARED, &pbf) < 0)
        return 0;
    uint32_t level = bf_data(pbf)[38];
    cache_release(pbf);
    return level + 1;
}

/* ---- basic operations and errors ---------------------------------------------------- */

TEST(node_max_and_errors)
{
    tdb t;
    CHECK(tdb_open(&t, "node_max_and_errors", 4096, 1) == 0);
    CHECK(bt_node_max(4096) >= 900 && bt_node_max(4096) <= 1014);
    CHECK(bt_node_max(32768) >= 8000 && bt_node_max(32768) <= 8182);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 7, &root), JET_errSuccess);
    uint8_t big[8192], out[16];
    memset(big, 'x', sizeof big);
    uint32_t nmax = bt_node_max(4096), cb = 0, flags = 9;

    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, big, 10, big, nmax - 9, 0), JET_errRecordTooBig);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, big, 10, big, nmax - 10, 0), JET_errSuccess);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, big, 10, "", 0, 0), JET_errKeyDuplicate);
    CHECK_ERR(bt_replace(&t.env, t.pgnoSpace, root, big, 10, big, nmax - 9), JET_errRecordTooBig);
    CHECK_ERR(bt_lookup(&t.env, root, big, 10, out, sizeof out, &cb, &flags), JET_wrnBufferTruncated);
    CHECK(cb == nmax - 10 && flags == 0 && out[15] == 'x');
    CHECK_ERR(bt_lookup(&t.env, root, "nope", 4, out, sizeof out, &cb, &flags), JET_errRecordNotFound);
    CHECK_ERR(bt_replace(&t.env, t.pgnoSpace, root, "nope", 4, "a", 1), JET_errRecordNotFound);
    CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, "nope", 4), JET_errRecordNotFound);
    CHECK_ERR(bt_set_flags(&t.env, root, "nope", 4, BT_NODE_DELETED), JET_errRecordNotFound);

    /* Flag-deleted nodes are still there: lookups see them, inserts collide. */
    CHECK_ERR(bt_set_flags(&t.env, root, big, 10, BT_NODE_DELETED), JET_errSuccess);
    CHECK_ERR(bt_lookup(&t.env, root, big, 10, NULL, 0, &cb, &flags), JET_wrnBufferTruncated);
    CHECK(flags == BT_NODE_DELETED);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, big, 10, "", 0, 0), JET_errKeyDuplicate);
    CHECK_ERR(bt_replace(&t.env, t.pgnoSpace, root, big, 10, "abc", 3), JET_errSuccess);
    CHECK_ERR(bt_lookup(&t.env, root, big, 10, out, sizeof out, &cb, &flags), JET_errSuccess);
    CHECK(cb == 3 && memcmp(out, "abc", 3) == 0 && flags == BT_NODE_DELETED);

    /* The empty key is the smallest key. */
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, NULL, 0, "e", 1, 0), JET_errSuccess);
    bt_cursor *cur;
    const void *key;
    CHECK_ERR(bt_cursor_open(&t.env, root, &cur), JET_errSuccess);
    CHECK_ERR(bt_current(cur, &key, &cb, NULL, NULL, NULL), JET_errNoCurrentRecord);
    CHECK_ERR(bt_next(cur), JET_errNoCurrentRecord);
    CHECK_ERR(bt_first(cur), JET_errSuccess);
    CHECK_ERR(bt_current(cur, &key, &cb, NULL, NULL, NULL), JET_errSuccess);
    CHECK(cb == 0);
    CHECK_ERR(bt_prev(cur), JET_errNoCurrentRecord);
    CHECK_ERR(bt_current(cur, &key, &cb, NULL, NULL, NULL), JET_errNoCurrentRecord);
    CHECK_ERR(bt_seek(cur, "a", 1, 99), JET_errInvalidParameter);
    bt_cursor_close(cur);

    CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, big, 10), JET_errSuccess);
    CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, NULL, 0), JET_errSuccess);
    uint64_t cnodes = 1;
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
    CHECK(cnodes == 0);
    CHECK_ERR(bt_cursor_open(&t.env, root, &cur), JET_errSuccess);
    CHECK_ERR(bt_first(cur), JET_errRecordNotFound);
    CHECK_ERR(bt_last(cur), JET_errRecordNotFound);
    CHECK_ERR(bt_seek(cur, "a", 1, BT_SEEK_GE), JET_errRecordNotFound);
    bt_cursor_close(cur);
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 0, &root), JET_errInvalidParameter);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* ---- space manager -------------------------------------------------------------------- */

TEST(space_alloc_free_extend)
{
    tdb t;
    CHECK(tdb_open(&t, "space_alloc_free_extend", 4096, 1) == 0);
    CHECK(file_owned(&t) == 16 && file_free(&t) == 15);
    uint32_t pgnos[40];
    for (int i = 0; i < 40; i++) {
        bf *pbf = NULL;
        CHECK_ERR(bt_space_alloc(&t.env, t.pgnoSpace, 5, &pbf), JET_errSuccess);
        pgnos[i] = bf_pgno(pbf);
        CHECK(pgnos[i] == (uint32_t)i + 2);
        /* Callers format and log what they allocate; a root page will do. */
        cache_release(pbf);
    }
    CHECK(file_owned(&t) == 48 && file_free(&t) == 7);
    uint32_t cpgFile = 0;
    CHECK_ERR(cache_file_pages(t.pc, TDB_DBID, &cpgFile), JET_errSuccess);
    CHECK(cpgFile >= 48);
    CHECK_ERR(bt_space_free(&t.env, t.pgnoSpace, pgnos[3]), JET_errSuccess);
    CHECK_ERR(bt_space_free(&t.env, t.pgnoSpace, pgnos[7]), JET_errSuccess);
    CHECK_ERR(bt_space_free(&t.env, t.pgnoSpace, pgnos[7]), JET_errSPAvailExtCorrupted);
    CHECK_ERR(bt_space_free(&t.env, t.pgnoSpace, t.pgnoSpace), JET_errInvalidParameter);
    CHECK_ERR(bt_space_free(&t.env, t.pgnoSpace, 45), JET_errInvalidParameter);
    CHECK(file_free(&t) == 9);
    /* Last freed, first reused; the page comes back zeroed. */
    bf *pbf = NULL;
    CHECK_ERR(bt_space_alloc(&t.env, t.pgnoSpace, 5, &pbf), JET_errSuccess);
    CHECK(bf_pgno(pbf) == pgnos[7]);
    CHECK(bf_data(pbf)[20] == 0 && bf_data(pbf)[16] == 5);
    cache_release(pbf);
    CHECK_ERR(bt_space_alloc(&t.env, t.pgnoSpace, 5, &pbf), JET_errSuccess);
    CHECK(bf_pgno(pbf) == pgnos[3]);
    cache_release(pbf);
    CHECK(file_free(&t) == 7 && file_owned(&t) == 48);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* ---- random workload against the model ------------------------------------------------ */

static int random_workload(const char *name, uint32_t cbPage, int nops, int logged, uint64_t seed)
{
    tdb t;
    model m;
    rng r = { seed };
    if (tdb_open(&t, name, cbPage, logged) != 0)
        return -1;
    model_init(&m);
    uint32_t root;
    int rc = 0;
    REQUIRE_ERR(bt_create(&t.env, t.pgnoSpace, 11, &root), JET_errSuccess);
    uint32_t depthMax = 0;
    for (int i = 0; i < nops && rc == 0; i++) {
        /* Phases: grow, churn, shrink, grow again. */
        int pct = i < nops * 4 / 10 ? 75 : i < nops * 6 / 10 ? 45 : i < nops * 8 / 10 ? 5 : 75;
        rc = random_op(&t, root, &m, &r, pct);
        if (rc == 0 && (i + 1) % (nops / 10) == 0) {
            rc = verify(&t, root, &m, i + 1 == nops);
            uint32_t d = tree_depth(&t, root);
            depthMax = d > depthMax ? d : depthMax;
        }
    }
    if (rc == 0 && cbPage == 4096 && nops >= 20000 && depthMax < 3) {
        fprintf(stderr, "tree never grew past %u levels\n", depthMax);
        rc = -1;
    }
    model_free(&m);
    tdb_close(&t);
    return rc;
}

TEST(random_model_4k)
{
    CHECK(random_workload("random_model_4k", 4096, 50000, 1, 0x9E3779B97F4A7C15ULL) == 0);
}

TEST(random_model_32k)
{
    CHECK(random_workload("random_model_32k", 32768, 20000, 1, 0xD1B54A32D192ED03ULL) == 0);
}

TEST(random_model_unlogged)
{
    CHECK(random_workload("random_model_unlogged", 4096, 10000, 0, 12345) == 0);
}

/* A cache of 24 frames: every structure change runs while pages it does not
 * hold are evicted and written back under it. */
TEST(random_model_tiny_cache)
{
    tdb_frames = 24;
    int rc = random_workload("random_model_tiny_cache", 4096, 8000, 1, 777);
    tdb_frames = 256;
    CHECK(rc == 0);
}

/* bt_check notices broken links, key order and separators. */
TEST(check_detects_corruption)
{
    tdb t;
    CHECK(tdb_open(&t, "check_detects_corruption", 4096, 0) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    uint8_t key[4], data[200] = { 0 };
    for (uint32_t i = 0; i < 400; i++) {
        key_of(i, key);
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    }
    uint64_t cnodes;
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
    CHECK(tree_depth(&t, root) == 2);
    /* The first leaf: child 0 of the root (node 0's data). */
    bf *pbf = NULL;
    CHECK_ERR(cache_read(t.pc, TDB_DBID, root, LATCH_SHARED, &pbf), JET_errSuccess);
    const uint8_t *pg = bf_data(pbf);
    uint32_t off = pg[4094] | (pg[4095] << 8);
    uint32_t leaf = pg[off + 6] | (pg[off + 7] << 8) | ((uint32_t)pg[off + 8] << 16) | ((uint32_t)pg[off + 9] << 24);
    cache_release(pbf);

    /* 1. A wrong next link. */
    CHECK_ERR(cache_read(t.pc, TDB_DBID, leaf, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    uint8_t save[4096];
    memcpy(save, bf_data(pbf), sizeof save);
    bf_data(pbf)[28] ^= 1;
    cache_dirty_unlogged(pbf);
    cache_release(pbf);
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errBadPageLink);
    /* 2. Two keys out of order (swap the first two slots). */
    CHECK_ERR(cache_read(t.pc, TDB_DBID, leaf, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    memcpy(bf_data(pbf) + 16, save + 16, sizeof save - 16);
    uint8_t *p = bf_data(pbf);
    uint8_t s0 = p[4094], s1 = p[4095];
    p[4094] = p[4092];
    p[4095] = p[4093];
    p[4092] = s0;
    p[4093] = s1;
    cache_dirty_unlogged(pbf);
    cache_release(pbf);
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errDatabaseCorrupted);
    /* 3. A key above its parent's separator (the last key of the first leaf
     * made huge). */
    CHECK_ERR(cache_read(t.pc, TDB_DBID, leaf, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    memcpy(bf_data(pbf) + 16, save + 16, sizeof save - 16);
    p = bf_data(pbf);
    uint32_t cslot = p[32] | (p[33] << 8), last = 4096 - 2 * cslot;
    off = p[last] | (p[last + 1] << 8);
    p[off + 6] = 0xFF;
    cache_dirty_unlogged(pbf);
    cache_release(pbf);
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errDatabaseCorrupted);
    /* 4. A broken layout (node offset outside the heap) is refused on read. */
    CHECK_ERR(cache_read(t.pc, TDB_DBID, leaf, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    memcpy(bf_data(pbf) + 16, save + 16, sizeof save - 16);
    bf_data(pbf)[4095] = 0x0F;
    cache_dirty_unlogged(pbf);
    cache_release(pbf);
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errDatabaseCorrupted);
    CHECK_ERR(bt_lookup(&t.env, root, key, 4, NULL, 0, NULL, NULL), JET_wrnBufferTruncated);
    key_of(0, key);
    CHECK_ERR(bt_lookup(&t.env, root, key, 4, NULL, 0, NULL, NULL), JET_errDatabaseCorrupted);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* ---- splits, merges, page reuse ------------------------------------------------------ */

TEST(sequential_fill_drain_reuse)
{
    tdb t;
    CHECK(tdb_open(&t, "sequential_fill_drain_reuse", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    uint8_t key[4], data[100];
    memset(data, 0x5A, sizeof data);
    const uint32_t n = 20000;
    uint64_t cnodes;
    /* Ascending inserts fill pages (the append split leaves them full). */
    for (uint32_t i = 0; i < n; i++) {
        key_of(i, key);
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    }
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
    CHECK(cnodes == n);
    CHECK(tree_depth(&t, root) >= 3);
    uint32_t used = file_owned(&t) - file_free(&t);
    uint32_t leavesMin = n * (6 + 4 + 100 + 2) / (4096 - 40);
    CHECK(used < leavesMin * 11 / 10 + 40);
    uint32_t ownedFull = file_owned(&t);

    /* Delete 4 keys of 5 (leaves drop below a quarter full and merge in
     * pairs), then the rest: pages are freed. */
    for (uint32_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            continue;
        key_of(i, key);
        CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
    }
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
    CHECK(cnodes == n / 5);
    uint32_t usedFifth = file_owned(&t) - file_free(&t);
    CHECK(usedFifth < used * 6 / 10);
    for (uint32_t i = 0; i < n; i += 5) {
        key_of(i, key);
        CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
    }
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
    CHECK(cnodes == 0);
    CHECK(tree_depth(&t, root) == 1);
    CHECK(file_owned(&t) - file_free(&t) == 2);   /* space page + root */

    /* Reinserting (descending this time) reuses the freed pages. */
    for (uint32_t i = n; i-- > 0;) {
        key_of(i, key);
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    }
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
    CHECK(cnodes == n);
    CHECK(file_owned(&t) == ownedFull);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

TEST(big_nodes_many_levels)
{
    /* Maximal keys make separators big and internal pages split often. */
    tdb t;
    CHECK(tdb_open(&t, "big_nodes_many_levels", 4096, 1) == 0);
    uint32_t root, nmax = bt_node_max(4096);
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    uint8_t key[1024];
    rng r = { 77 };
    model m;
    model_init(&m);
    for (int i = 0; i < 3000; i++) {
        /* A long common prefix keeps separators long (no suffix truncation
         * can shorten them), so internal pages hold only a few. */
        memset(key, 'a', nmax);
        for (uint32_t j = nmax - 24; j < nmax; j++)
            key[j] = (uint8_t)('a' + rnd(&r) % 2);
        uint32_t cbKey = nmax - rnd(&r) % 8;
        JET_ERR err = bt_insert(&t.env, t.pgnoSpace, root, key, cbKey, NULL, 0, 0);
        CHECK_ERR(err, model_find(&m, key, cbKey) ? JET_errKeyDuplicate : JET_errSuccess);
        model_set(&m, key, cbKey, NULL, 0, 0);
    }
    CHECK(tree_depth(&t, root) >= 4);
    CHECK(verify(&t, root, &m, 1) == 0);
    /* Replace with growing data forces splits through bt_replace. */
    mentry **a = model_sorted(&m);
    for (size_t i = 0; i < m.n; i += 3) {
        uint8_t data[8];
        memset(data, 0xCC, sizeof data);
        uint32_t cbData = a[i]->cbKey + 8 <= nmax ? 8 : nmax - a[i]->cbKey;
        CHECK_ERR(bt_replace(&t.env, t.pgnoSpace, root, a[i]->key, a[i]->cbKey, data, cbData), JET_errSuccess);
        model_set(&m, a[i]->key, a[i]->cbKey, data, cbData, 0);
    }
    free(a);
    CHECK(verify(&t, root, &m, 0) == 0);
    /* Delete all in random order. */
    a = model_sorted(&m);
    size_t n = m.n;
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd(&r) % i;
        mentry *x = a[i - 1];
        a[i - 1] = a[j];
        a[j] = x;
    }
    for (size_t i = 0; i < n; i++)
        CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, a[i]->key, a[i]->cbKey), JET_errSuccess);
    free(a);
    uint64_t cnodes;
    CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
    CHECK(cnodes == 0 && tree_depth(&t, root) == 1);
    CHECK(file_owned(&t) - file_free(&t) == 2);
    model_free(&m);
    tdb_close(&t);
}

TEST(drop_frees_everything)
{
    tdb t;
    CHECK(tdb_open(&t, "drop_frees_everything", 4096, 1) == 0);
    uint32_t root1, root2;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 1, &root1), JET_errSuccess);
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 2, &root2), JET_errSuccess);
    uint8_t key[4], data[300];
    memset(data, 1, sizeof data);
    for (uint32_t i = 0; i < 5000; i++) {
        key_of(i * 2654435761u, key);
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root1, key, 4, data, 100 + i % 200, 0), JET_errSuccess);
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root2, key, 4, data, 50, 0), JET_errSuccess);
    }
    uint64_t c1, c2;
    CHECK_ERR(bt_check(&t.env, root1, &c1), JET_errSuccess);
    CHECK_ERR(bt_check(&t.env, root2, &c2), JET_errSuccess);
    CHECK(c1 == 5000 && c2 == 5000);
    uint32_t owned = file_owned(&t);
    CHECK_ERR(bt_drop(&t.env, t.pgnoSpace, root1), JET_errSuccess);
    CHECK_ERR(bt_check(&t.env, root2, &c2), JET_errSuccess);
    CHECK(c2 == 5000);
    CHECK_ERR(bt_check(&t.env, root1, &c1), JET_errDatabaseCorrupted);   /* a free page now */
    CHECK_ERR(bt_drop(&t.env, t.pgnoSpace, root2), JET_errSuccess);
    CHECK(file_owned(&t) == owned && file_free(&t) == owned - 1);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* ---- cursors ------------------------------------------------------------------------------ */

/* The model's answer to a seek: index into the sorted array, or -1. */
static long model_seek(mentry **a, size_t n, const uint8_t *key, uint32_t cbKey, int mode)
{
    size_t lo = 0, hi = n;   /* first index with a[i] >= key */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keycmp(a[mid]->key, a[mid]->cbKey, key, cbKey) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int eq = lo < n && keycmp(a[lo]->key, a[lo]->cbKey, key, cbKey) == 0;
    switch (mode) {
    case BT_SEEK_EQ: return eq ? (long)lo : -1;
    case BT_SEEK_GE: return lo < n ? (long)lo : -1;
    case BT_SEEK_GT: return lo + eq < n ? (long)(lo + eq) : -1;
    case BT_SEEK_LE: return eq ? (long)lo : (long)lo - 1;
    default: return (long)lo - 1;
    }
}

static int cursor_at(bt_cursor *cur, mentry *e)
{
    const void *key;
    uint32_t cbKey;
    REQUIRE_ERR(bt_current(cur, &key, &cbKey, NULL, NULL, NULL), JET_errSuccess);
    REQUIRE(keycmp(key, cbKey, e->key, e->cbKey) == 0);
    return 0;
}

TEST(cursor_seek_modes)
{
    tdb t;
    CHECK(tdb_open(&t, "cursor_seek_modes", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    rng r = { 4242 };
    model m;
    model_init(&m);
    for (int i = 0; i < 8000; i++)
        CHECK(random_op(&t, root, &m, &r, 80) == 0);
    mentry **a = model_sorted(&m);
    bt_cursor *cur;
    CHECK_ERR(bt_cursor_open(&t.env, root, &cur), JET_errSuccess);
    for (int i = 0; i < 4000; i++) {
        uint8_t key[256];
        uint32_t cbKey;
        if (i % 3 == 0 && m.n) {   /* existing keys too */
            mentry *e = a[rnd(&r) % m.n];
            memcpy(key, e->key, e->cbKey);
            cbKey = e->cbKey;
        } else {
            cbKey = gen_key(&r, key, 200);
        }
        int mode = BT_SEEK_EQ + i % 5;
        long want = model_seek(a, m.n, key, cbKey, mode);
        JET_ERR err = bt_seek(cur, key, cbKey, mode);
        CHECK_ERR(err, want >= 0 ? JET_errSuccess : JET_errRecordNotFound);
        if (want < 0) {
            CHECK_ERR(bt_current(cur, NULL, NULL, NULL, NULL, NULL), JET_errNoCurrentRecord);
            continue;
        }
        CHECK(cursor_at(cur, a[want]) == 0);
        /* And a step either way from there. */
        if (i & 1) {
            err = bt_next(cur);
            CHECK_ERR(err, (size_t)want + 1 < m.n ? JET_errSuccess : JET_errNoCurrentRecord);
            if (err == JET_errSuccess)
                CHECK(cursor_at(cur, a[want + 1]) == 0);
        } else {
            err = bt_prev(cur);
            CHECK_ERR(err, want > 0 ? JET_errSuccess : JET_errNoCurrentRecord);
            if (err == JET_errSuccess)
                CHECK(cursor_at(cur, a[want - 1]) == 0);
        }
    }
    bt_cursor_close(cur);
    free(a);
    CHECK(LATCHES_HELD(t.pc) == 0);
    model_free(&m);
    tdb_close(&t);
}

/* Cursors parked in the tree while "other sessions" insert, delete, split
 * and merge around them: every move lands where the model says. */
TEST(cursor_survives_changes)
{
    tdb t;
    CHECK(tdb_open(&t, "cursor_survives_changes", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    rng r = { 999 };
    model m;
    model_init(&m);
    for (int i = 0; i < 3000; i++)
        CHECK(random_op(&t, root, &m, &r, 90) == 0);
    enum { NCUR = 8 };
    bt_cursor *cur[NCUR];
    uint8_t pos[NCUR][256];
    uint32_t cbPos[NCUR];
    int positioned[NCUR];
    for (int c = 0; c < NCUR; c++) {
        CHECK_ERR(bt_cursor_open(&t.env, root, &cur[c]), JET_errSuccess);
        positioned[c] = 0;
    }
    for (int round = 0; round < 1500; round++) {
        /* Other sessions change the tree (and now and then delete exactly
         * the cursors' current keys). */
        int burst = (int)(rnd(&r) % 40);
        for (int i = 0; i < burst; i++)
            CHECK(random_op(&t, root, &m, &r, round % 200 < 100 ? 70 : 25) == 0);
        int c = (int)(rnd(&r) % NCUR);
        if (positioned[c] && rnd(&r) % 4 == 0 && model_find(&m, pos[c], cbPos[c])) {
            CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, pos[c], cbPos[c]), JET_errSuccess);
            model_del(&m, pos[c], cbPos[c]);
        }
        mentry **a = model_sorted(&m);
        long want;
        JET_ERR err;
        if (!positioned[c]) {
            uint8_t key[256];
            uint32_t cbKey = gen_key(&r, key, 200);
            want = model_seek(a, m.n, key, cbKey, BT_SEEK_GE);
            err = bt_seek(cur[c], key, cbKey, BT_SEEK_GE);
            CHECK_ERR(err, want >= 0 ? JET_errSuccess : JET_errRecordNotFound);
        } else if (rnd(&r) & 1) {
            want = model_seek(a, m.n, pos[c], cbPos[c], BT_SEEK_GT);
            err = bt_next(cur[c]);
            CHECK_ERR(err, want >= 0 ? JET_errSuccess : JET_errNoCurrentRecord);
        } else {
            want = model_seek(a, m.n, pos[c], cbPos[c], BT_SEEK_LT);
            err = bt_prev(cur[c]);
            CHECK_ERR(err, want >= 0 ? JET_errSuccess : JET_errNoCurrentRecord);
        }
        positioned[c] = want >= 0;
        if (want >= 0) {
            CHECK(cursor_at(cur[c], a[want]) == 0);
            memcpy(pos[c], a[want]->key, a[want]->cbKey);
            cbPos[c] = a[want]->cbKey;
        }
        free(a);
    }
    for (int c = 0; c < NCUR; c++)
        bt_cursor_close(cur[c]);
    CHECK(verify(&t, root, &m, 1) == 0);
    model_free(&m);
    tdb_close(&t);
}

/* ---- redo --------------------------------------------------------------------------------- */

/* A copy of every initialized page (pgno 1..cpg) of a database. */
typedef struct snapshot {
    uint32_t  cpg, cbPage;
    uint8_t  *pages;   /* cpg * cbPage */
    uint8_t  *valid;
} snapshot;

static int snap_take(tdb *t, snapshot *ps)
{
    uint32_t cpgFile = 0;
    REQUIRE_ERR(cache_file_pages(t->pc, TDB_DBID, &cpgFile), JET_errSuccess);
    uint32_t cpg = file_owned(t) > cpgFile ? file_owned(t) : cpgFile;
    ps->cpg = cpg;
    ps->cbPage = cache_page_size(t->pc);
    ps->pages = calloc((size_t)cpg + 1, ps->cbPage);
    ps->valid = calloc((size_t)cpg + 1, 1);
    for (uint32_t pgno = 1; pgno <= cpg; pgno++) {
        bf *pbf = NULL;
        JET_ERR err = cache_read(t->pc, TDB_DBID, pgno, LATCH_SHARED, &pbf);
        if (err == JET_errPageNotInitialized || err == JET_errFileIOBeyondEOF)
            continue;
        REQUIRE_ERR(err, JET_errSuccess);
        memcpy(ps->pages + (size_t)pgno * ps->cbPage, bf_data(pbf), ps->cbPage);
        ps->valid[pgno] = 1;
        cache_release(pbf);
    }
    return 0;
}

static void snap_free(snapshot *ps)
{
    free(ps->pages);
    free(ps->valid);
}

/* Load a snapshot into an empty database (what a restored file would hold). */
static int snap_load(tdb *t, const snapshot *ps)
{
    for (uint32_t pgno = 1; pgno <= ps->cpg; pgno++) {
        if (!ps->valid[pgno])
            continue;
        bf *pbf = NULL;
        const uint8_t *src = ps->pages + (size_t)pgno * ps->cbPage;
        REQUIRE_ERR(cache_new(t->pc, TDB_DBID, pgno, &pbf), JET_errSuccess);
        memcpy(bf_data(pbf) + 16, src + 16, ps->cbPage - 16);
        lsn_t lsn;
        memcpy(&lsn, src + PAGE_OFF_LSN, sizeof lsn);
        cache_dirty(pbf, lsn);
        cache_release(pbf);
    }
    return 0;
}

/* Every page of b equals a's (past the crc), and a's pages all exist in b. */
static int snap_equal(const snapshot *a, const snapshot *b)
{
    for (uint32_t pgno = 1; pgno <= a->cpg; pgno++) {
        if (!a->valid[pgno])
            continue;
        REQUIRE(pgno <= b->cpg && b->valid[pgno]);
        const uint8_t *pa = a->pages + (size_t)pgno * a->cbPage, *pb = b->pages + (size_t)pgno * b->cbPage;
        if (memcmp(pa + 4, pb + 4, a->cbPage - 4) != 0) {
            fprintf(stderr, "page %u differs after redo\n", pgno);
            REQUIRE(0);
        }
    }
    return 0;
}

static int replay(tdb *t, const flog *pl, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const flog_rec *rec = &pl->recs[i];
        const uint8_t *pv = pl->buf + rec->off;
        REQUIRE(bt_redo_dbid(pv, rec->cb) == TDB_DBID);
        REQUIRE_ERR(bt_redo(t->pc, rec->type, pv, rec->cb, rec->lsn), JET_errSuccess);
    }
    REQUIRE(LATCHES_HELD(t->pc) == 0);
    return 0;
}

static int redo_case(uint32_t cbPage, int nops)
{
    tdb a, b, c;
    model m;
    rng r = { cbPage * 31u + 7 };
    char name[64];
    snprintf(name, sizeof name, "redo_a_%u", cbPage);
    if (tdb_open(&a, name, cbPage, 1) != 0)
        return -1;
    model_init(&m);
    uint32_t root, root2;
    REQUIRE_ERR(bt_create(&a.env, a.pgnoSpace, 21, &root), JET_errSuccess);
    REQUIRE_ERR(bt_create(&a.env, a.pgnoSpace, 22, &root2), JET_errSuccess);
    snapshot mid = { 0 }, fin = { 0 }, got = { 0 };
    size_t crecMid = 0;
    uint8_t key[4];
    for (int i = 0; i < nops; i++) {
        int pct = i < nops / 2 ? 70 : 20;
        REQUIRE(random_op(&a, root, &m, &r, pct) == 0);
        key_of((uint32_t)i, key);
        if (i % 3 == 0)
            REQUIRE_ERR(bt_insert(&a.env, a.pgnoSpace, root2, key, 4, "v", 1, 0), JET_errSuccess);
        if (i == nops / 3) {
            /* A "backup" taken mid-run: redo from the log's start onto it
             * must skip what it already holds (page lsn check). */
            REQUIRE(snap_take(&a, &mid) == 0);
            crecMid = a.log.crec;
        }
    }
    REQUIRE_ERR(bt_drop(&a.env, a.pgnoSpace, root2), JET_errSuccess);
    REQUIRE(verify(&a, root, &m, 0) == 0);
    REQUIRE(snap_take(&a, &fin) == 0);
    REQUIRE(crecMid > 0 && a.log.crec > crecMid);

    /* 1. An empty file + the whole log = the same pages; twice = no change. */
    snprintf(name, sizeof name, "redo_b_%u", cbPage);
    REQUIRE(tdb_open_file(&b, name, cbPage, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    REQUIRE(replay(&b, &a.log, 0, a.log.crec) == 0);
    REQUIRE(snap_take(&b, &got) == 0);
    REQUIRE(snap_equal(&fin, &got) == 0);
    snap_free(&got);
    REQUIRE(replay(&b, &a.log, 0, a.log.crec) == 0);
    REQUIRE(snap_take(&b, &got) == 0);
    REQUIRE(snap_equal(&fin, &got) == 0);
    snap_free(&got);
    REQUIRE(verify(&b, root, &m, 1) == 0);

    /* 2. The mid-run copy + the whole log = the same pages. */
    snprintf(name, sizeof name, "redo_c_%u", cbPage);
    REQUIRE(tdb_open_file(&c, name, cbPage, 0) == 0);
    c.pgnoSpace = a.pgnoSpace;
    REQUIRE(snap_load(&c, &mid) == 0);
    REQUIRE(replay(&c, &a.log, 0, a.log.crec) == 0);
    REQUIRE(snap_take(&c, &got) == 0);
    REQUIRE(snap_equal(&fin, &got) == 0);
    snap_free(&got);

    snap_free(&mid);
    snap_free(&fin);
    model_free(&m);
    tdb_close(&a);
    tdb_close(&b);
    tdb_close(&c);
    return 0;
}

TEST(redo_replays_to_identical_pages_4k)
{
    CHECK(redo_case(4096, 12000) == 0);
}

TEST(redo_replays_to_identical_pages_32k)
{
    CHECK(redo_case(32768, 6000) == 0);
}

/* A log cut inside a structure change (several page images) replays a
 * prefix of it.  The image order (new pages, path top-down, links, frees)
 * keeps every key that earlier operations left in the tree reachable by
 * lookup, with its data, and keeps deleted keys deleted. */
typedef struct op_rec {
    int      fDelete;
    uint8_t  key[64];
    uint32_t cbKey, cbData;
    uint8_t  data[600];
    size_t   crecEnd;   /* log records once the operation was done */
} op_rec;

TEST(redo_prefix_keeps_keys_reachable)
{
    enum { NOPS = 5000, NCUTS = 25 };
    tdb a;
    CHECK(tdb_open(&a, "redo_prefix_a", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 5, &root), JET_errSuccess);
    op_rec *ops = calloc(NOPS, sizeof *ops);
    model m;
    model_init(&m);
    rng r = { 31337 };
    for (int i = 0; i < NOPS; i++) {
        op_rec *op = &ops[i];
        op->cbKey = 1 + rnd(&r) % 12;
        for (uint32_t j = 0; j < op->cbKey; j++)
            op->key[j] = (uint8_t)('a' + rnd(&r) % 3);
        mentry *e = model_find(&m, op->key, op->cbKey);
        op->fDelete = e != NULL && (i > NOPS / 2 ? rnd(&r) % 3 != 0 : rnd(&r) % 4 == 0);
        op->cbData = 50 + rnd(&r) % 500;
        memset(op->data, (int)rnd(&r), op->cbData);
        if (op->fDelete) {
            CHECK_ERR(bt_delete(&a.env, a.pgnoSpace, root, op->key, op->cbKey), JET_errSuccess);
            model_del(&m, op->key, op->cbKey);
        } else if (e != NULL) {
            CHECK_ERR(bt_replace(&a.env, a.pgnoSpace, root, op->key, op->cbKey, op->data, op->cbData),
                      JET_errSuccess);
            model_set(&m, op->key, op->cbKey, op->data, op->cbData, 0);
        } else {
            CHECK_ERR(bt_insert(&a.env, a.pgnoSpace, root, op->key, op->cbKey, op->data, op->cbData, 0),
                      JET_errSuccess);
            model_set(&m, op->key, op->cbKey, op->data, op->cbData, 0);
        }
        op->crecEnd = a.log.crec;
    }
    model_free(&m);
    /* Cut points: between two page images of one operation. */
    size_t cuts[NCUTS], ncut = 0, nsmo = 0;
    for (int i = 1; i < NOPS; i++)
        nsmo += ops[i].crecEnd - ops[i - 1].crecEnd >= 3;
    CHECK(nsmo >= 2 * NCUTS);
    for (int i = 1; i < NOPS && ncut < NCUTS; i++) {
        size_t from = ops[i - 1].crecEnd, to = ops[i].crecEnd;
        if (to - from >= 3 && rnd(&r) % (nsmo / NCUTS) == 0)
            cuts[ncut++] = from + 1 + rnd(&r) % (to - from - 2);
    }
    CHECK(ncut >= NCUTS / 2);
    for (size_t c = 0; c < ncut; c++) {
        tdb b;
        CHECK(tdb_open_file(&b, "redo_prefix_b", 4096, 0) == 0);
        b.pgnoSpace = 1;
        CHECK(replay(&b, &a.log, 0, cuts[c]) == 0);
        /* The model of every operation completed before the cut. */
        model_init(&m);
        int j = 0;
        for (; ops[j].crecEnd <= cuts[c]; j++) {
            if (ops[j].fDelete)
                model_del(&m, ops[j].key, ops[j].cbKey);
            else
                model_set(&m, ops[j].key, ops[j].cbKey, ops[j].data, ops[j].cbData, 0);
        }
        for (int i = 0; i < j; i++) {   /* every key the operations named */
            const op_rec *op = &ops[i];
            if (op->cbKey == ops[j].cbKey && memcmp(op->key, ops[j].key, op->cbKey) == 0)
                continue;   /* the interrupted operation's own key may go either way */
            mentry *e = model_find(&m, op->key, op->cbKey);
            uint8_t out[600];
            uint32_t cb = 0;
            JET_ERR err = bt_lookup(&b.env, root, op->key, op->cbKey, out, sizeof out, &cb, NULL);
            CHECK_ERR(err, e ? JET_errSuccess : JET_errRecordNotFound);
            if (e)
                CHECK(cb == e->cbData && memcmp(out, e->data, cb) == 0);
        }
        model_free(&m);
        tdb_close(&b);
    }
    free(ops);
    tdb_close(&a);
}

TEST(redo_rejects_bad_records)
{
    tdb t;
    CHECK(tdb_open(&t, "redo_rejects_bad_records", 4096, 1) == 0);
    uint8_t rec[32] = { 0 };
    CHECK_ERR(bt_redo(t.pc, LOG_REC_BT_INSERT, rec, 4, 100), JET_errLogCorrupted);
    rec[0] = TDB_DBID;
    rec[4] = 1;      /* pgno 1: the space page, not a leaf */
    rec[10] = 2;     /* cbKey 2, cbData 0 */
    CHECK_ERR(bt_redo(t.pc, LOG_REC_BT_INSERT, rec, 15, LSN_MAKE(9, 0, 0)), JET_errLogCorrupted);
    CHECK_ERR(bt_redo(t.pc, LOG_REC_BT_INSERT, rec, 16, LSN_MAKE(9, 0, 0)), JET_errDatabaseCorrupted);
    CHECK_ERR(bt_redo(t.pc, 40, rec, 16, LSN_MAKE(9, 0, 0)), JET_errLogCorrupted);
    CHECK(bt_redo_dbid(rec, 16) == TDB_DBID && bt_redo_dbid(rec, 3) == 0);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* A record operation whose log append fails changes nothing. */
TEST(log_failure_leaves_page_unchanged)
{
    tdb t;
    CHECK(tdb_open(&t, "log_failure_leaves_page_unchanged", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, "k1", 2, "v1", 2, 0), JET_errSuccess);
    t.log.failAt = (long)t.log.crec;
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, "k2", 2, "v2", 2, 0), JET_errLogWriteFail);
    t.log.failAt = (long)t.log.crec;
    CHECK_ERR(bt_replace(&t.env, t.pgnoSpace, root, "k1", 2, "xx", 2), JET_errLogWriteFail);
    t.log.failAt = (long)t.log.crec;
    CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, "k1", 2), JET_errLogWriteFail);
    uint8_t out[8];
    uint32_t cb;
    CHECK_ERR(bt_lookup(&t.env, root, "k1", 2, out, sizeof out, &cb, NULL), JET_errSuccess);
    CHECK(cb == 2 && memcmp(out, "v1", 2) == 0);
    CHECK_ERR(bt_lookup(&t.env, root, "k2", 2, out, sizeof out, &cb, NULL), JET_errRecordNotFound);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* ---- concurrency ------------------------------------------------------------------------ */

typedef struct worker {
    tdb          *t;
    uint32_t      root;
    int           id, nops;
    model         m;          /* writers: their own keys */
    atomic_int   *pstop;
    int           failed;
    long          scans;
} worker;

static void *writer_main(void *arg)
{
    worker *w = arg;
    rng r = { 1000u + (uint64_t)w->id };
    uint8_t key[64], data[600];
    memset(data, w->id, sizeof data);
    for (int i = 0; i < w->nops && !w->failed; i++) {
        /* Keys of writer id end with id: writers never insert the same key
         * but interleave on the same leaves (splits and merges collide). */
        uint32_t cbKey = 2 + rnd(&r) % 30;
        for (uint32_t j = 0; j + 1 < cbKey; j++)
            key[j] = (uint8_t)('a' + rnd(&r) % 3);
        key[cbKey - 1] = (uint8_t)('0' + w->id);
        mentry *e = model_find(&w->m, key, cbKey);
        uint32_t u = rnd(&r) % 100, cbData = rnd(&r) % 400;
        JET_ERR err;
        if (u < (i < w->nops / 2 ? 70u : 30u)) {
            err = bt_insert(&w->t->env, w->t->pgnoSpace, w->root, key, cbKey, data, cbData, 0);
            if (err != (e ? JET_errKeyDuplicate : JET_errSuccess))
                w->failed = 1;
            if (!e)
                model_set(&w->m, key, cbKey, data, cbData, 0);
        } else if (u < 80) {
            err = bt_delete(&w->t->env, w->t->pgnoSpace, w->root, key, cbKey);
            if (err != (e ? JET_errSuccess : JET_errRecordNotFound))
                w->failed = 1;
            model_del(&w->m, key, cbKey);
        } else {
            err = bt_replace(&w->t->env, w->t->pgnoSpace, w->root, key, cbKey, data, cbData);
            if (err != (e ? JET_errSuccess : JET_errRecordNotFound))
                w->failed = 1;
            if (e)
                model_set(&w->m, key, cbKey, data, cbData, 0);
        }
        if (w->failed)
            fprintf(stderr, "writer %d op %d: unexpected %d\n", w->id, i, (int)err);
    }
    return NULL;
}

/* A reader that seeks (every mode) and steps: answers respect the bound. */
static void *seeker_main(void *arg)
{
    worker *w = arg;
    bt_cursor *cur = NULL;
    rng r = { 555u + (uint64_t)w->id };
    if (bt_cursor_open(&w->t->env, w->root, &cur) != JET_errSuccess) {
        w->failed = 1;
        return NULL;
    }
    do {   /* at least one pass, even if the writers are already done */
        uint8_t key[32];
        uint32_t cbKey = 1 + rnd(&r) % 20;
        for (uint32_t j = 0; j < cbKey; j++)
            key[j] = (uint8_t)('a' + rnd(&r) % 3);
        int mode = BT_SEEK_EQ + (int)(rnd(&r) % 5);
        JET_ERR err = bt_seek(cur, key, cbKey, mode);
        for (int step = 0; err == JET_errSuccess && step < 20; step++) {
            const void *k;
            uint32_t cb;
            if (bt_current(cur, &k, &cb, NULL, NULL, NULL) != JET_errSuccess) {
                w->failed = 1;
                break;
            }
            int c = keycmp(k, cb, key, cbKey);
            int ok = mode == BT_SEEK_EQ ? c == 0 : mode == BT_SEEK_GE ? c >= 0 : mode == BT_SEEK_GT ? c > 0
                   : mode == BT_SEEK_LE ? c <= 0 : c < 0;
            if (!ok) {
                fprintf(stderr, "seeker %d: mode %d answered out of bound\n", w->id, mode);
                w->failed = 1;
                break;
            }
            memcpy(key, k, cb);
            cbKey = cb;
            if (mode == BT_SEEK_EQ)
                mode = BT_SEEK_GT;
            err = (mode == BT_SEEK_GE || mode == BT_SEEK_GT) ? bt_next(cur) : bt_prev(cur);
            mode = (mode == BT_SEEK_GE || mode == BT_SEEK_GT) ? BT_SEEK_GT : BT_SEEK_LT;
        }
        if (err != JET_errSuccess && err != JET_errNoCurrentRecord && err != JET_errRecordNotFound) {
            fprintf(stderr, "seeker %d: %d\n", w->id, (int)err);
            w->failed = 1;
        }
        w->scans++;
    } while (!atomic_load(w->pstop) && !w->failed);
    bt_cursor_close(cur);
    return NULL;
}

/* Readers scan forward or backward: keys strictly ordered, no error. */
static void *reader_main(void *arg)
{
    worker *w = arg;
    bt_cursor *cur = NULL;
    uint8_t prev[64];
    uint32_t cbPrev = 0;
    if (bt_cursor_open(&w->t->env, w->root, &cur) != JET_errSuccess) {
        w->failed = 1;
        return NULL;
    }
    do {   /* at least one pass, even if the writers are already done */
        int fwd = (w->scans + w->id) % 2 == 0;
        JET_ERR err = fwd ? bt_first(cur) : bt_last(cur);
        int first = 1;
        while (err == JET_errSuccess) {
            const void *key;
            uint32_t cbKey;
            if (bt_current(cur, &key, &cbKey, NULL, NULL, NULL) != JET_errSuccess || cbKey > sizeof prev) {
                w->failed = 1;
                break;
            }
            if (!first && (fwd ? keycmp(prev, cbPrev, key, cbKey) >= 0 : keycmp(prev, cbPrev, key, cbKey) <= 0)) {
                fprintf(stderr, "reader %d: keys out of order\n", w->id);
                w->failed = 1;
                break;
            }
            memcpy(prev, key, cbKey);
            cbPrev = cbKey;
            first = 0;
            err = fwd ? bt_next(cur) : bt_prev(cur);
        }
        if (err != JET_errNoCurrentRecord && err != JET_errRecordNotFound && err != JET_errSuccess) {
            fprintf(stderr, "reader %d: scan ended with %d\n", w->id, (int)err);
            w->failed = 1;
        }
        w->scans++;
    } while (!atomic_load(w->pstop) && !w->failed);
    bt_cursor_close(cur);
    return NULL;
}

TEST(concurrent_writers_and_readers)
{
    tdb t;
    CHECK(tdb_open(&t, "concurrent_writers_and_readers", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    enum { NW = 4, NR = 3 };
    atomic_int stop = 0;
    worker w[NW + NR];
    pthread_t th[NW + NR];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NW + NR; i++) {
        w[i].t = &t;
        w[i].root = root;
        w[i].id = i;
        w[i].nops = 6000;
        w[i].pstop = &stop;
        if (i < NW)
            model_init(&w[i].m);
        CHECK(pthread_create(&th[i], NULL, i < NW ? writer_main : i == NW ? seeker_main : reader_main, &w[i]) == 0);
    }
    for (int i = 0; i < NW; i++)
        pthread_join(th[i], NULL);
    atomic_store(&stop, 1);
    for (int i = NW; i < NW + NR; i++)
        pthread_join(th[i], NULL);
    model all;
    model_init(&all);
    for (int i = 0; i < NW + NR; i++) {
        CHECK(!w[i].failed);
        if (i >= NW)
            continue;
        for (size_t j = 0; j < w[i].m.cap; j++) {
            mentry *e = &w[i].m.tab[j];
            if (e->used)
                model_set(&all, e->key, e->cbKey, e->data, e->cbData, 0);
        }
        model_free(&w[i].m);
    }
    CHECK(w[NW].scans > 0 && w[NW + 1].scans > 0);
    CHECK(verify(&t, root, &all, 1) == 0);
    model_free(&all);
    tdb_close(&t);
}

UNIT_MAIN()
