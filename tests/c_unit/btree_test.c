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
#include "os_testcase.h" /* os_testcase_hits: the append hint was (not) used */
#include "btree_int.h" /* page layout: key prefix and redistribution tests */

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
static int tdb_key_prefix = 1;      /* bt_env.fKeyPrefix of the next tdb_open: every workload runs on prefix pages */

typedef struct tdb {
    cache   *pc;
    bt_env   env;
    bt_hints hints;     /* env.hints: every test runs with the append hint (H1) */
    flog     log;
    uint32_t pgnoSpace;
} tdb;

static JET_ERR wal_ok(void *ctx, uint32_t dbid, lsn_t lsn)
{
    (void)dbid;
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
    /* T3: the image threshold at the start of this log (as isam's writer
     * open sets it): a page's first change images it, later ones are
     * records until tdb_checkpoint raises it. */
    cache_raise_image_lsn(t->pc, t->log.next);
    REQUIRE_ERR(cache_open_file(t->pc, TDB_DBID, pf), JET_errSuccess);
    t->env.pc = t->pc;
    t->env.dbid = TDB_DBID;
    t->env.log = logged ? flog_append : NULL;
    t->env.logctx = &t->log;
    t->env.cpgExtend = 16;
    t->env.fKeyPrefix = tdb_key_prefix;
    t->env.hints = &t->hints;
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

static uint32_t gen_key_common = 0;  /* bytes every generated key starts with (key prefix tests) */

static uint32_t gen_key(rng *r, uint8_t *key, uint32_t cbMax)
{
    if (gen_key_common) {
        /* a long shared head, then a short tail; 1 key in 16 leaves the
         * head early (stored whole on prefix pages, or shortens the prefix) */
        uint32_t cbHead = rnd(r) % 16 == 0 ? rnd(r) % gen_key_common : gen_key_common;
        uint32_t cb = cbHead + 1 + rnd(r) % 3;
        if (cb > cbMax)
            cb = cbMax;
        for (uint32_t i = 0; i < cb; i++)
            key[i] = i < cbHead ? (uint8_t)('k' + i % 7) : (uint8_t)('a' + rnd(r) % 16);
        return cb;
    }
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

/* Pages of the file: how many are tree pages, and how many of those have a
 * key prefix (btree_int.h X1). */
static int count_prefix_pages(tdb *t, uint32_t *pcTree, uint32_t *pcPrefix)
{
    uint32_t cpg = file_owned(t);
    *pcTree = *pcPrefix = 0;
    for (uint32_t pgno = 2; pgno <= cpg; pgno++) {
        bf *pbf = NULL;
        if (cache_read(t->pc, TDB_DBID, pgno, LATCH_SHARED, &pbf) < 0)
            continue;
        const uint8_t *pg = bf_data(pbf);
        if (pg_flags(pg) & (BTP_LEAF | BTP_INTERNAL)) {
            ++*pcTree;
            *pcPrefix += pg_cbpfx(pg) != 0;
        }
        cache_release(pbf);
    }
    return 0;
}

/* Keys that share 120 bytes: leaves keep them once (a page holds more than
 * twice the nodes it could without prefixes, so splits, merges, replaces and
 * keys outside the prefix all meet compressed pages).  The model check
 * (bt_check: P1 over whole keys, T5, sizes) runs every tenth of the way. */
static int prefix_heavy(uint32_t cbPage, int fPrefix, uint32_t *pcpg, uint32_t *pcPrefix)
{
    tdb_key_prefix = fPrefix;
    gen_key_common = 120;
    char name[64];
    snprintf(name, sizeof name, "prefix_heavy_%u_%d", cbPage, fPrefix);
    int rc = random_workload(name, cbPage, 30000, 1, 0x51ED27A3C0FFEEULL);
    gen_key_common = 0;
    tdb_key_prefix = 1;
    if (rc != 0)
        return rc;
    /* the same workload once more, to count pages at its end */
    tdb t;
    model m;
    rng r = { 0x51ED27A3C0FFEEULL };
    tdb_key_prefix = fPrefix;
    gen_key_common = 120;
    REQUIRE(tdb_open(&t, name, cbPage, 1) == 0);
    model_init(&m);
    uint32_t root, cTree;
    REQUIRE_ERR(bt_create(&t.env, t.pgnoSpace, 11, &root), JET_errSuccess);
    for (int i = 0; i < 12000 && rc == 0; i++)
        rc = random_op(&t, root, &m, &r, 75);
    gen_key_common = 0;
    tdb_key_prefix = 1;
    if (rc == 0)
        rc = verify(&t, root, &m, 1);
    count_prefix_pages(&t, &cTree, pcPrefix);
    *pcpg = cTree;
    model_free(&m);
    tdb_close(&t);
    return rc;
}

TEST(key_prefix_heavy_model)
{
    uint32_t cpgOn = 0, cpfxOn = 0, cpgOff = 0, cpfxOff = 0;
    CHECK(prefix_heavy(4096, 1, &cpgOn, &cpfxOn) == 0);
    CHECK(prefix_heavy(4096, 0, &cpgOff, &cpfxOff) == 0);
    /* fKeyPrefix 0 (a format-1 file) never writes a prefix; 1 does, and
     * needs far fewer pages for the same rows */
    fprintf(stderr, "key prefix: %u of %u tree pages; without: %u of %u\n", cpfxOn, cpgOn, cpfxOff, cpgOff);
    CHECK(cpfxOff == 0);
    CHECK(cpfxOn > 0 && cpgOn * 3 < cpgOff * 2);
}

TEST(key_prefix_heavy_model_32k)
{
    uint32_t cpg = 0, cpfx = 0;
    CHECK(prefix_heavy(32768, 1, &cpg, &cpfx) == 0);
    CHECK(cpfx > 0);
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
        cache_dirty(pbf, le_get64(src + PAGE_OFF_LSN));
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

/* Replay records [from, to) of a fake log as recovery does: one replay
 * context, ended (incomplete structure changes dropped) when the records run
 * out. */
static int replay(tdb *t, const flog *pl, size_t from, size_t to)
{
    bt_redo_ctx *ctx = NULL;
    int rc = 0;
    REQUIRE_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    for (size_t i = from; i < to && rc == 0; i++) {
        const flog_rec *rec = &pl->recs[i];
        const uint8_t *pv = pl->buf + rec->off;
        JET_ERR err = bt_redo(ctx, t->pc, rec->type, pv, rec->cb, rec->lsn);
        if (bt_redo_dbid(pv, rec->cb) != TDB_DBID || err != JET_errSuccess) {
            fprintf(stderr, "replay of record %zu (type %u): %d\n", i, rec->type, (int)err);
            rc = -1;
        }
    }
    bt_redo_end(ctx);
    REQUIRE(rc == 0);
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

/* ---- atomic structure changes ---------------------------------------------------------------- */

/* One successful operation of a logged workload and the records it wrote. */
typedef struct pop {
    char     kind;                /* 'I'nsert, 'R'eplace, 'F'lags, 'D'elete */
    int      tree;                /* which tree (tests with several) */
    uint8_t  key[1600];
    uint32_t cbKey, cbData, flags;
    uint8_t *data;
    size_t   crecBegin, crecEnd;  /* its records: [crecBegin, crecEnd) */
    uint32_t cpgFree, cpgOwned;   /* the database's space after it */
    uint32_t depth;               /* of the tree after it */
} pop;

static void pop_apply(model *m, const pop *op)
{
    if (op->kind == 'D')
        model_del(m, op->key, op->cbKey);
    else if (op->kind == 'F')
        model_find(m, op->key, op->cbKey)->flags = op->flags;
    else
        model_set(m, op->key, op->cbKey, op->data, op->cbData, op->flags);
}

static void pops_free(pop *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ops[i].data);
    free(ops);
}

/* One random operation on `root` of t, kept in ops[*pn] if it changed the
 * tree (and in m).  pctInsert as in random_op; pctBig: share of big data;
 * cbPrefix: length of a prefix common to all keys (long separators, so
 * internal pages hold few and trees grow deep). */
static int logged_op(tdb *t, uint32_t root, model *m, rng *r, int pctInsert, int pctBig, uint32_t cbPrefix,
                     pop *ops, size_t *pn)
{
    uint32_t cbMax = bt_node_max(cache_page_size(t->pc));
    pop *op = &ops[*pn];
    memset(op, 0, sizeof *op);
    op->crecBegin = t->log.crec;
    memset(op->key, 'p', cbPrefix);
    op->cbKey = cbPrefix + gen_key(r, op->key + cbPrefix, cbPrefix ? 24 : 200);
    mentry *e = model_find(m, op->key, op->cbKey);
    uint32_t u = rnd(r) % 100;
    JET_ERR err, want;
    if (u < (uint32_t)pctInsert + 15) {
        op->kind = (u < (uint32_t)pctInsert) ? 'I' : 'R';
        uint32_t cbData = (rnd(r) % 100 < (uint32_t)pctBig) ? rnd(r) % (cbMax - op->cbKey + 1) : rnd(r) % 64;
        op->data = malloc(cbData + 1);
        for (uint32_t i = 0; i < cbData; i++)
            op->data[i] = (uint8_t)rnd(r);
        op->cbData = cbData;
        op->flags = (op->kind == 'R' && e) ? e->flags : 0;
        if (op->kind == 'I') {
            err = bt_insert(&t->env, t->pgnoSpace, root, op->key, op->cbKey, op->data, cbData, 0);
            want = e ? JET_errKeyDuplicate : JET_errSuccess;
        } else {
            err = bt_replace(&t->env, t->pgnoSpace, root, op->key, op->cbKey, op->data, cbData);
            want = e ? JET_errSuccess : JET_errRecordNotFound;
        }
    } else if (u < (uint32_t)pctInsert + 20) {
        op->kind = 'F';
        op->flags = rnd(r) & 1;
        err = bt_set_flags(&t->env, root, op->key, op->cbKey, op->flags);
        want = e ? JET_errSuccess : JET_errRecordNotFound;
    } else {
        op->kind = 'D';
        if (m->n > 0 && rnd(r) % 8 != 0) {   /* mostly keys that exist */
            size_t i = rnd(r) & (m->cap - 1);
            while (!m->tab[i].used)
                i = (i + 1) & (m->cap - 1);
            memcpy(op->key, m->tab[i].key, m->tab[i].cbKey);
            op->cbKey = m->tab[i].cbKey;
            e = &m->tab[i];
        }
        err = bt_delete(&t->env, t->pgnoSpace, root, op->key, op->cbKey);
        want = e ? JET_errSuccess : JET_errRecordNotFound;
    }
    REQUIRE_ERR(err, want);
    if (err == JET_errSuccess) {
        op->crecEnd = t->log.crec;
        pop_apply(m, op);
        bt_space_stats(&t->env, t->pgnoSpace, &op->cpgFree, &op->cpgOwned);
        op->depth = tree_depth(t, root);
        (*pn)++;
    } else {
        free(op->data);
        op->data = NULL;
    }
    REQUIRE(LATCHES_HELD(t->pc) == 0);
    return 0;
}

/* Replaying ANY prefix of the log yields a tree that passes bt_check and
 * holds exactly the operations whose records are all in the prefix: a
 * structure change cut anywhere is not seen at all, and neither is its
 * space (no page leaked, none freed twice).  The replay runs once, record by
 * record, and the replica is checked at every record boundary of every
 * structure change: before it, between any two of its records, after it (the
 * pages are what a recovery cut there would leave: pending images are never
 * applied, bt_redo_end only drops them); a few cuts are replayed from
 * scratch, ending with bt_redo_end, as well. */
static int prefix_case(uint32_t cbPage, int nops, int pctBig, uint32_t cbPrefix, uint64_t seed)
{
    tdb a, b, c;
    char name[64];
    rng r = { seed };
    snprintf(name, sizeof name, "prefix_a_%u", cbPage);
    if (tdb_open(&a, name, cbPage, 1) != 0)
        return -1;
    uint32_t root;
    REQUIRE_ERR(bt_create(&a.env, a.pgnoSpace, 9, &root), JET_errSuccess);
    size_t crecSetup = a.log.crec, nop = 0;
    uint32_t cpgFree0, cpgOwned0;
    bt_space_stats(&a.env, a.pgnoSpace, &cpgFree0, &cpgOwned0);
    pop *ops = calloc((size_t)nops, sizeof *ops);
    model m;
    model_init(&m);
    for (int i = 0; i < nops; i++) {
        /* Grow, churn, shrink (merges, emptied pages, root collapse), grow. */
        int pct = i < nops * 30 / 100 ? 80 : i < nops * 35 / 100 ? 45 : i < nops * 80 / 100 ? 3 : 80;
        REQUIRE(logged_op(&a, root, &m, &r, pct, pctBig, cbPrefix, ops, &nop) == 0);
    }
    REQUIRE(verify(&a, root, &m, 0) == 0);
    model_free(&m);
    /* The workload must have split and merged a lot, at several levels
     * (deep merges log many pages), and grown and lost levels. */
    size_t nsplit = 0, nmerge = 0, ndeep = 0, nshrink = 0, depthMax = 0;
    for (size_t i = 0; i < nop; i++) {
        if (ops[i].crecEnd - ops[i].crecBegin > 1)
            ++*(ops[i].kind == 'D' ? &nmerge : &nsplit);
        ndeep += ops[i].kind == 'D' && ops[i].crecEnd - ops[i].crecBegin >= 8;
        nshrink += i > 0 && ops[i].depth < ops[i - 1].depth;
        depthMax = ops[i].depth > depthMax ? ops[i].depth : depthMax;
    }
    /* (Redistribution on insert, redist.c, leaves fewer, fuller leaves, so
     * fewer of them merge than with plain splits.) */
    if (nsplit < 100 || nmerge < 60 || ndeep < 2 || nshrink < 2 || depthMax < 3) {
        fprintf(stderr, "workload too tame: %zu splits, %zu merges (%zu deep), %zu levels lost, depth %zu\n",
                nsplit, nmerge, ndeep, nshrink, depthMax);
        REQUIRE(0);
    }

    snprintf(name, sizeof name, "prefix_b_%u", cbPage);
    REQUIRE(tdb_open_file(&b, name, cbPage, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    bt_redo_ctx *ctx = NULL;
    REQUIRE_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    model_init(&m);
    size_t iop = 0, ncheck = 0, cutsScratch[6], ncut = 0;
    int rc = 0;
    for (size_t k = 0; k < a.log.crec && rc == 0; k++) {
        const flog_rec *rec = &a.log.recs[k];
        JET_ERR err = bt_redo(ctx, b.pc, rec->type, a.log.buf + rec->off, rec->cb, rec->lsn);
        if (err != JET_errSuccess) {
            fprintf(stderr, "record %zu: %d\n", k, (int)err);
            rc = -1;
            break;
        }
        size_t pos = k + 1;   /* the prefix is records [0, pos) */
        while (iop < nop && ops[iop].crecEnd <= pos)
            pop_apply(&m, &ops[iop++]);
        int inside = iop < nop && ops[iop].crecBegin < pos;
        int before = iop < nop && ops[iop].crecBegin == pos && ops[iop].crecEnd - ops[iop].crecBegin > 1;
        int after = iop > 0 && ops[iop - 1].crecEnd == pos && ops[iop - 1].crecEnd - ops[iop - 1].crecBegin > 1;
        if (pos < crecSetup || (!inside && !before && !after))
            continue;
        uint32_t cpgFree, cpgOwned;
        bt_space_stats(&b.env, b.pgnoSpace, &cpgFree, &cpgOwned);
        if (bt_redo_pending(ctx) != (inside ? 1u : 0u) || verify(&b, root, &m, 0) != 0 ||
            cpgFree != (iop ? ops[iop - 1].cpgFree : cpgFree0) || cpgOwned != (iop ? ops[iop - 1].cpgOwned : cpgOwned0)) {
            fprintf(stderr, "prefix of %zu records (inside op %zu: %d): wrong replica\n", pos, iop, inside);
            rc = -1;
        }
        ncheck++;
        if (inside && ncut < 6 && rnd(&r) % 200 == 0)
            cutsScratch[ncut++] = pos;
    }
    bt_redo_end(ctx);
    REQUIRE(rc == 0);
    REQUIRE(iop == nop && ncheck >= 3 * (nsplit + nmerge) && ncut >= 3);

    /* From scratch: recovery with the log cut inside a structure change. */
    for (size_t i = 0; i < ncut; i++) {
        snprintf(name, sizeof name, "prefix_c_%u", cbPage);
        REQUIRE(tdb_open_file(&c, name, cbPage, 0) == 0);
        c.pgnoSpace = a.pgnoSpace;
        REQUIRE(replay(&c, &a.log, 0, cutsScratch[i]) == 0);
        model_free(&m);
        model_init(&m);
        for (size_t j = 0; j < nop && ops[j].crecEnd <= cutsScratch[i]; j++)
            pop_apply(&m, &ops[j]);
        REQUIRE(verify(&c, root, &m, 1) == 0);
        tdb_close(&c);
    }
    model_free(&m);
    pops_free(ops, nop);
    tdb_close(&a);
    tdb_close(&b);
    return 0;
}

TEST(redo_prefix_is_atomic_4k)
{
    /* format-1 pages (no key prefix: files without DB_INCOMPAT_KEY_PREFIX) */
    tdb_key_prefix = 0;
    int rc = prefix_case(4096, 5000, 15, 100, 31337);
    tdb_key_prefix = 1;
    CHECK(rc == 0);
}

TEST(redo_prefix_is_atomic_4k_key_prefix)
{
    /* keys sharing 100 bytes: leaves hold several times more nodes, so more
     * operations for as many splits and merges */
    CHECK(prefix_case(4096, 12000, 15, 100, 31337) == 0);
}

TEST(redo_prefix_is_atomic_32k)
{
    CHECK(prefix_case(32768, 3000, 30, 1500, 4711) == 0);
}

/* Register one more database file (dbid) with t's cache, logged to t's log. */
static int tdb_add_file(tdb *t, const char *name, uint32_t dbid, bt_env *env)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.edb", unit_dir(name), name);
    os_file *pf = NULL;
    REQUIRE_ERR(os_file_open(path, OS_FILE_WRITE | OS_FILE_TRUNCATE, &pf), JET_errSuccess);
    REQUIRE_ERR(cache_open_file(t->pc, dbid, pf), JET_errSuccess);
    *env = t->env;
    env->dbid = dbid;
    return 0;
}

/* Little-endian u64 of a log payload. */
static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Log lsn -> record index (lsns grow with the index). */
static size_t flog_index(const flog *pl, lsn_t lsn)
{
    size_t lo = 0, hi = pl->crec;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pl->recs[mid].lsn < lsn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Append record i of src to dst as the log would have, had the records come
 * in this order: the smoid of images and SMOENDs is renamed to the new lsn
 * of the change's first image (newlsn[] by src index). */
static void flog_copy(flog *dst, const flog *src, size_t i, lsn_t *newlsn)
{
    const flog_rec *rec = &src->recs[i];
    uint8_t *pv = malloc(rec->cb);
    memcpy(pv, src->buf + rec->off, rec->cb);
    size_t off = (rec->type == LOG_REC_BT_PAGEIMAGE || rec->type == LOG_REC_BT_PAGEDIFF) ? 16 : rec->type == LOG_REC_BT_SMOEND ? 8 : 0;
    if (off != 0 && le64(pv + off) != 0)
        put_le64(pv + off, newlsn[flog_index(src, le64(pv + off))]);
    log_part part = { pv, rec->cb };
    flog_append(dst, rec->type, &part, 1, &newlsn[i]);
    free(pv);
}

/* Two structure changes of two trees in two databases (the only way two
 * changes overlap in a real log: changes of one database are serialized on
 * its space page) whose images interleave in the log with each other and
 * with record operations of a third tree: every prefix shows each change
 * entirely or not at all, independently of the other, and the record
 * operations as soon as they are read. */
TEST(redo_interleaved_changes)
{
    tdb a, b;
    bt_env env4, envB4;
    uint32_t root1, root2, root3, pgnoSpace4 = 0;
    CHECK(tdb_open(&a, "interleave_a", 4096, 1) == 0);
    CHECK(tdb_add_file(&a, "interleave_a4", 4, &env4) == 0);
    CHECK_ERR(bt_space_init(&env4, &pgnoSpace4), JET_errSuccess);
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 1, &root1), JET_errSuccess);
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 3, &root3), JET_errSuccess);
    CHECK_ERR(bt_create(&env4, pgnoSpace4, 2, &root2), JET_errSuccess);
    enum { NOPS = 4000 };
    pop *ops = calloc(NOPS, sizeof *ops);
    size_t nop = 0;
    model m[4];
    for (int i = 1; i <= 3; i++)
        model_init(&m[i]);
    uint8_t data[300];
    memset(data, 0x3C, sizeof data);
    /* Fill trees 1 and 2 (in turns: their records interleave too). */
    for (uint32_t i = 0; i < 200; i++) {
        for (int tr = 1; tr <= 2; tr++) {
            pop *op = &ops[nop];
            op->kind = 'I';
            op->tree = tr;
            key_of(i * 2654435761u, op->key);
            op->cbKey = 4;
            op->cbData = 150;
            op->data = malloc(op->cbData);
            memcpy(op->data, data, op->cbData);
            op->crecBegin = a.log.crec;
            CHECK_ERR(bt_insert(tr == 1 ? &a.env : &env4, tr == 1 ? a.pgnoSpace : pgnoSpace4, tr == 1 ? root1 : root2,
                                op->key, 4, op->data, op->cbData, 0), JET_errSuccess);
            op->crecEnd = a.log.crec;
            nop++;
        }
    }
    /* The next insert that splits, in tree 1 then in tree 2 (records of tree
     * 2 that are not its split come between them), then record operations
     * on tree 3. */
    size_t iSmo[3] = { 0 };
    for (int tr = 1; tr <= 2; tr++) {
        for (uint32_t i = 0;; i++) {
            CHECK(i < 1000);
            pop *op = &ops[nop];
            op->kind = 'I';
            op->tree = tr;
            key_of(0x80000000u + i * 7919u, op->key);
            op->cbKey = 4;
            op->cbData = 150;
            op->data = malloc(op->cbData);
            memcpy(op->data, data, op->cbData);
            op->crecBegin = a.log.crec;
            CHECK_ERR(bt_insert(tr == 1 ? &a.env : &env4, tr == 1 ? a.pgnoSpace : pgnoSpace4, tr == 1 ? root1 : root2,
                                op->key, 4, op->data, op->cbData, 0), JET_errSuccess);
            op->crecEnd = a.log.crec;
            if (op->crecEnd - op->crecBegin > 1) {
                iSmo[tr] = nop++;
                break;
            }
            nop++;
        }
    }
    CHECK(ops[iSmo[1]].crecEnd - ops[iSmo[1]].crecBegin >= 4 && ops[iSmo[2]].crecEnd - ops[iSmo[2]].crecBegin >= 4);
    size_t nop3 = 0;
    for (uint32_t i = 0; i < 12; i++, nop3++) {
        pop *op = &ops[nop++];
        op->kind = 'I';
        op->tree = 3;
        key_of(i, op->key);
        op->cbKey = 4;
        op->cbData = 10;
        op->data = malloc(op->cbData);
        memcpy(op->data, data, op->cbData);
        op->crecBegin = a.log.crec;
        CHECK_ERR(bt_insert(&a.env, a.pgnoSpace, root3, op->key, 4, op->data, op->cbData, 0), JET_errSuccess);
        op->crecEnd = a.log.crec;
        CHECK(op->crecEnd == op->crecBegin + 1);
    }
    for (size_t i = 0; i < nop; i++)
        pop_apply(&m[ops[i].tree], &ops[i]);
    CHECK(LATCHES_HELD(a.pc) == 0);

    /* The new order: everything before the first change; then tree 2's
     * records that preceded its change; then, in turns, an image of change
     * 1, a record of change 2 (its SMOEND included), a record operation of
     * tree 3; change 1's SMOEND last. */
    const pop *s1 = &ops[iSmo[1]], *s2 = &ops[iSmo[2]];
    size_t n = a.log.crec, k1 = s1->crecBegin, k2 = s2->crecBegin, k3 = s2->crecEnd;
    lsn_t *newlsn = calloc(n, sizeof *newlsn);
    size_t *order = calloc(n, sizeof *order), norder = 0;
    flog l2;
    memset(&l2, 0, sizeof l2);
    pthread_mutex_init(&l2.mu, NULL);
    l2.next = LSN_MAKE(1, 1, 0);
    l2.failAt = -1;
    for (size_t i = 0; i < s1->crecBegin; i++)
        order[norder++] = i;
    for (size_t i = s1->crecEnd; i < s2->crecBegin; i++)
        order[norder++] = i;
    while (k1 < s1->crecEnd - 1 || k2 < s2->crecEnd || k3 < n) {
        if (k1 < s1->crecEnd - 1)
            order[norder++] = k1++;
        if (k2 < s2->crecEnd)
            order[norder++] = k2++;
        if (k3 < n)
            order[norder++] = k3++;
    }
    order[norder++] = s1->crecEnd - 1;
    CHECK(norder == n);
    for (size_t i = 0; i < n; i++)
        flog_copy(&l2, &a.log, order[i], newlsn);

    /* Replay the new log record by record onto empty files; check all three
     * trees and the pending changes wherever change 1 or 2 is in flight. */
    CHECK(tdb_open_file(&b, "interleave_b", 4096, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    CHECK(tdb_add_file(&b, "interleave_b4", 4, &envB4) == 0);
    tdb b4 = b;
    b4.env = envB4;
    b4.pgnoSpace = pgnoSpace4;
    model e[4];
    for (int i = 1; i <= 3; i++)
        model_init(&e[i]);
    size_t *done = calloc(n, sizeof *done);   /* op completed by record (src index) + 1 */
    for (size_t i = 0; i < nop; i++)
        done[ops[i].crecEnd - 1] = i + 1;
    bt_redo_ctx *ctx = NULL;
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    int started[3] = { 0 }, ended[3] = { 0 }, both = 0, rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        size_t src = order[k];
        const flog_rec *rec = &l2.recs[k];
        JET_ERR err = bt_redo(ctx, b.pc, rec->type, l2.buf + rec->off, rec->cb, rec->lsn);
        if (err != JET_errSuccess) {
            fprintf(stderr, "interleaved record %zu: %d\n", k, (int)err);
            rc = -1;
            break;
        }
        if (done[src])
            pop_apply(&e[ops[done[src] - 1].tree], &ops[done[src] - 1]);
        for (int s = 1; s <= 2; s++) {
            const pop *sm = s == 1 ? s1 : s2;
            started[s] |= src >= sm->crecBegin && src < sm->crecEnd;
            ended[s] |= src == sm->crecEnd - 1;
        }
        if (!started[1] && !started[2])
            continue;
        both += started[1] && !ended[1] && started[2] && !ended[2];
        uint32_t want = (uint32_t)(started[1] && !ended[1]) + (uint32_t)(started[2] && !ended[2]);
        if (bt_redo_pending(ctx) != want || verify(&b, root1, &e[1], 0) != 0 || verify(&b4, root2, &e[2], 0) != 0 ||
            verify(&b, root3, &e[3], 0) != 0) {
            fprintf(stderr, "interleaved prefix of %zu records: wrong replica\n", k + 1);
            rc = -1;
        }
    }
    bt_redo_end(ctx);
    CHECK(rc == 0);
    CHECK(both >= 3 && ended[1] && ended[2]);
    CHECK(verify(&b, root1, &m[1], 1) == 0);
    CHECK(verify(&b4, root2, &m[2], 1) == 0);
    CHECK(verify(&b, root3, &m[3], 1) == 0);

    /* A recovery whose log ends while both changes are in flight: neither is
     * seen, and bt_redo_end frees what they had gathered. */
    cache_close_file(b.pc, 4, 0);
    tdb_close(&b);
    CHECK(tdb_open_file(&b, "interleave_c", 4096, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    CHECK(tdb_add_file(&b, "interleave_c4", 4, &envB4) == 0);
    b4 = b;
    b4.env = envB4;
    b4.pgnoSpace = pgnoSpace4;
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    size_t cut = s1->crecBegin + (s2->crecBegin - s1->crecEnd) + 5;   /* images of both read */
    for (size_t k = 0; k < cut; k++) {
        const flog_rec *rec = &l2.recs[k];
        CHECK_ERR(bt_redo(ctx, b.pc, rec->type, l2.buf + rec->off, rec->cb, rec->lsn), JET_errSuccess);
    }
    CHECK(bt_redo_pending(ctx) == 2);
    bt_redo_end(ctx);
    for (int i = 1; i <= 3; i++) {
        model_free(&e[i]);
        model_init(&e[i]);
    }
    for (size_t i = 0; i < nop; i++)
        if (i != iSmo[1] && i != iSmo[2] && ops[i].tree != 3)
            pop_apply(&e[ops[i].tree], &ops[i]);
    for (size_t k = 0; k < cut; k++)
        if (done[order[k]] && ops[done[order[k]] - 1].tree == 3)
            pop_apply(&e[3], &ops[done[order[k]] - 1]);
    CHECK(verify(&b, root1, &e[1], 1) == 0);
    CHECK(verify(&b4, root2, &e[2], 1) == 0);
    CHECK(verify(&b, root3, &e[3], 1) == 0);

    for (int i = 1; i <= 3; i++) {
        model_free(&m[i]);
        model_free(&e[i]);
    }
    free(done);
    free(order);
    free(newlsn);
    free(l2.buf);
    free(l2.recs);
    pthread_mutex_destroy(&l2.mu);
    pops_free(ops, nop);
    cache_close_file(b.pc, 4, 0);
    tdb_close(&b);
    cache_close_file(a.pc, 4, 0);
    tdb_close(&a);
}

/* WAL recorder: every lsn the cache asked the log to make durable. */
typedef struct walrec {
    lsn_t  *lsns;
    size_t  n, cap;
} walrec;

static JET_ERR wal_record(void *ctx, uint32_t dbid, lsn_t lsn)
{
    (void)dbid;
    walrec *w = ctx;
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 256;
        w->lsns = realloc(w->lsns, w->cap * sizeof *w->lsns);
    }
    w->lsns[w->n++] = lsn;
    return JET_errSuccess;
}

/* Records [from, to) are one structure change: images, then SMOEND naming
 * them; every page it imaged carries the SMOEND's lsn (so the write-ahead
 * rule holds them until SMOEND is durable); the change is recorded as
 * distinct pages.  *pcpg = pages in it. */
static int check_change(tdb *t, size_t from, size_t to, int *pcpg)
{
    const flog *pl = &t->log;
    REQUIRE(to >= from + 2);
    const flog_rec *end = &pl->recs[to - 1];
    const uint8_t *pe = pl->buf + end->off;
    lsn_t smoid = pl->recs[from].lsn;
    REQUIRE(end->type == LOG_REC_BT_SMOEND && end->cb == 16);
    REQUIRE(le64(pe + 8) == smoid && bt_redo_dbid(pe, end->cb) == TDB_DBID);
    REQUIRE((pe[4] | pe[5] << 8) == (int)(to - 1 - from));
    int cpg = 0;
    for (size_t i = from; i + 1 < to; i++) {
        const flog_rec *rec = &pl->recs[i];
        const uint8_t *pv = pl->buf + rec->off;
        REQUIRE(rec->type == LOG_REC_BT_PAGEIMAGE || rec->type == LOG_REC_BT_PAGEDIFF);
        REQUIRE(le64(pv + 16) == (i == from ? 0 : smoid));
        uint32_t pgno = pv[4] | pv[5] << 8 | pv[6] << 16 | (uint32_t)pv[7] << 24;
        bf *pbf = NULL;
        REQUIRE_ERR(cache_read(t->pc, TDB_DBID, pgno, LATCH_SHARED, &pbf), JET_errSuccess);
        lsn_t lsn = bf_lsn(pbf);
        cache_release(pbf);
        REQUIRE(lsn == end->lsn);
        int dup = 0;
        for (size_t j = from; j < i; j++)
            dup |= memcmp(pl->buf + pl->recs[j].off + 4, pv + 4, 4) == 0;
        cpg += !dup;
    }
    *pcpg = cpg;
    return 0;
}

/* 1 when the structure change logged as records [from, to) changed pgno. */
static int change_has_page(const tdb *t, size_t from, size_t to, uint32_t pgno)
{
    for (size_t i = from; i + 1 < to; i++) {
        const uint8_t *pv = t->log.buf + t->log.recs[i].off;
        if ((pv[4] | pv[5] << 8 | pv[6] << 16 | (uint32_t)pv[7] << 24) == pgno)
            return 1;
    }
    return 0;
}

TEST(smo_pages_carry_smoend_lsn)
{
    tdb t;
    walrec w = { 0 };
    CHECK(tdb_open(&t, "smo_pages_carry_smoend_lsn", 4096, 1) == 0);
    cache_set_wal(t.pc, wal_record, &w);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    CHECK(t.log.crec == 5 && t.log.recs[1].type == LOG_REC_BT_SMOEND);   /* space init; create */
    int cpg;
    CHECK(check_change(&t, 2, 5, &cpg) == 0);
    CHECK(cpg == 2);   /* space page, root */
    uint8_t key[4], data[300];
    memset(data, 7, sizeof data);
    size_t nsmo = 0, nredist = 0;
    for (uint32_t i = 0; i < 3000; i++) {
        key_of(i * 2654435761u, key);
        size_t from = t.log.crec;
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, 100 + i % 200, 0), JET_errSuccess);
        if (t.log.crec - from > 1) {
            CHECK(check_change(&t, from, t.log.crec, &cpg) == 0);
            /* leaf, new page, parent (or root and push-down), space page;
             * a redistribution (redist.c): leaf, sibling(s), parent, and
             * no space page (nothing allocated) */
            CHECK(cpg >= 3);
            nredist += !change_has_page(&t, from, t.log.crec, t.pgnoSpace);
            nsmo++;
        }
    }
    CHECK(nsmo > 40 && nredist > 10 && nredist < nsmo && tree_depth(&t, root) >= 2);
    for (uint32_t i = 0; i < 3000; i += 1) {
        key_of(i * 2654435761u, key);
        size_t from = t.log.crec;
        CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
        if (t.log.crec - from > 1) {
            CHECK(check_change(&t, from, t.log.crec, &cpg) == 0);
            CHECK(cpg >= 3);   /* a merge: two leaves, their parent, the space page */
            nsmo++;
        }
    }
    CHECK(tree_depth(&t, root) == 1);
    /* The write-ahead rule was asked for the SMOEND, never for an image of a
     * change: no page of a change went out with an lsn that did not cover
     * its SMOEND. */
    CHECK_ERR(cache_flush(t.pc, TDB_DBID), JET_errSuccess);
    CHECK(w.n > 0);
    for (size_t i = 0; i < w.n; i++) {
        size_t k = flog_index(&t.log, w.lsns[i]);
        CHECK(k < t.log.crec && t.log.recs[k].lsn == w.lsns[i]);
        CHECK(t.log.recs[k].type != LOG_REC_BT_PAGEIMAGE && t.log.recs[k].type != LOG_REC_BT_PAGEDIFF);
    }
    free(w.lsns);
    tdb_close(&t);
}

/* A structure change whose log append fails (any of its images, or its
 * SMOEND) changes nothing: the tree in memory is as before, latches are
 * released, later operations work.  Its images that reached the log are
 * dropped by redo (later records on its pages prove it dead), so replaying
 * the whole log gives the same tree. */
TEST(smo_log_failure_changes_nothing)
{
    tdb a, b;
    CHECK(tdb_open(&a, "smo_failure_a", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 5, &root), JET_errSuccess);
    model m;
    model_init(&m);
    rng r = { 2024 };
    int nfail[2] = { 0, 0 };
    uint8_t key[256], data[1024];
    for (int i = 0; i < 10000; i++) {
        int fDelete = i >= 4000 && m.n > 0 && rnd(&r) % 4 != 0;
        uint32_t cbKey, cbData = rnd(&r) % 300;
        if (fDelete) {
            size_t j = rnd(&r) & (m.cap - 1);
            while (!m.tab[j].used)
                j = (j + 1) & (m.cap - 1);
            cbKey = m.tab[j].cbKey;
            memcpy(key, m.tab[j].key, cbKey);
        } else {
            cbKey = gen_key(&r, key, 200);
            for (uint32_t j = 0; j < cbData; j++)
                data[j] = (uint8_t)rnd(&r);
        }
        int exists = model_find(&m, key, cbKey) != NULL;
        /* Fail one of the records after the first: only structure changes
         * write more than one (at least 5: 2 pages, a parent, the space
         * page, SMOEND). */
        int inject = rnd(&r) % 4 == 0;
        a.log.failAt = inject ? (long)a.log.crec + 1 + (long)(rnd(&r) % 4) : -1;
        JET_ERR err = fDelete ? bt_delete(&a.env, a.pgnoSpace, root, key, cbKey)
                              : bt_insert(&a.env, a.pgnoSpace, root, key, cbKey, data, cbData, 0);
        int failed = inject && a.log.failAt == -1;
        a.log.failAt = -1;
        CHECK(LATCHES_HELD(a.pc) == 0);
        if (failed) {
            CHECK_ERR(err, JET_errLogWriteFail);
            nfail[fDelete]++;
            if (nfail[0] + nfail[1] < 40 || i % 50 == 0)
                CHECK(verify(&a, root, &m, 0) == 0);   /* nothing changed */
            continue;
        }
        if (fDelete) {
            CHECK_ERR(err, JET_errSuccess);
            model_del(&m, key, cbKey);
        } else {
            CHECK_ERR(err, exists ? JET_errKeyDuplicate : JET_errSuccess);
            if (!exists)
                model_set(&m, key, cbKey, data, cbData, 0);
        }
    }
    if (nfail[0] < 20 || nfail[1] < 20)
        fprintf(stderr, "failed changes: %d inserts, %d deletes\n", nfail[0], nfail[1]);
    CHECK(nfail[0] >= 20 && nfail[1] >= 20);
    CHECK(verify(&a, root, &m, 1) == 0);
    CHECK(tdb_open_file(&b, "smo_failure_b", 4096, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    CHECK(replay(&b, &a.log, 0, a.log.crec) == 0);
    CHECK(verify(&b, root, &m, 1) == 0);
    uint32_t fa, oa, fb, ob;
    bt_space_stats(&a.env, a.pgnoSpace, &fa, &oa);
    bt_space_stats(&b.env, b.pgnoSpace, &fb, &ob);
    CHECK(fa == fb && oa == ob);
    model_free(&m);
    tdb_close(&a);
    tdb_close(&b);
}

/* Redo of a structure change keeps its images until its SMOEND and applies
 * only complete changes; records that contradict a change are refused. */
TEST(redo_groups_images_until_smoend)
{
    tdb a, b;
    CHECK(tdb_open(&a, "redo_groups_a", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 5, &root), JET_errSuccess);
    uint8_t key[4], data[200];
    memset(data, 1, sizeof data);
    size_t from = 0, to = 0;
    for (uint32_t i = 0; to == 0; i++) {
        key_of(i, key);
        size_t c = a.log.crec;
        CHECK_ERR(bt_insert(&a.env, a.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
        if (a.log.crec - c > 1) {
            from = c;
            to = a.log.crec;
        }
    }
    CHECK(tdb_open_file(&b, "redo_groups_b", 4096, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    CHECK(replay(&b, &a.log, 0, from) == 0);
    bt_redo_ctx *ctx = NULL;
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    const flog_rec *rs = &a.log.recs[from], *re = &a.log.recs[to - 1];
    const uint8_t *ps = a.log.buf + rs->off, *pe = a.log.buf + re->off;
    uint8_t bad[16];
    /* A SMOEND with nothing read before it, of a change that began in the
     * replay: corrupt.  Of a change that began before: nothing to do. */
    CHECK_ERR(bt_redo(ctx, b.pc, LOG_REC_BT_PAGEIMAGE, ps, rs->cb, rs->lsn), JET_errSuccess);
    CHECK(bt_redo_pending(ctx) == 1);
    memcpy(bad, pe, 16);
    bad[4] = 99;   /* more images than were read */
    CHECK_ERR(bt_redo(ctx, b.pc, LOG_REC_BT_SMOEND, bad, 16, re->lsn), JET_errLogFileCorrupt);
    CHECK(bt_redo_pending(ctx) == 0);
    CHECK_ERR(bt_redo(ctx, b.pc, LOG_REC_BT_SMOEND, pe, 15, re->lsn), JET_errLogCorrupted);
    memset(bad + 8, 0, 8);
    CHECK_ERR(bt_redo(ctx, b.pc, LOG_REC_BT_SMOEND, bad, 16, re->lsn), JET_errLogCorrupted);
    bt_redo_end(ctx);
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    CHECK_ERR(bt_redo(ctx, b.pc, LOG_REC_BT_SMOEND, pe, 16, re->lsn), JET_errSuccess);   /* before the replay */
    bt_redo_end(ctx);
    /* The images alone change nothing; SMOEND applies them all. */
    uint64_t cnodes = 0;
    CHECK_ERR(bt_check(&b.env, root, &cnodes), JET_errSuccess);
    uint64_t before = cnodes;
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    for (size_t i = from; i + 1 < to; i++) {
        const flog_rec *rec = &a.log.recs[i];
        CHECK_ERR(bt_redo(ctx, b.pc, rec->type, a.log.buf + rec->off, rec->cb, rec->lsn), JET_errSuccess);
        CHECK_ERR(bt_check(&b.env, root, &cnodes), JET_errSuccess);
        CHECK(cnodes == before && bt_redo_pending(ctx) == 1);
    }
    CHECK_ERR(bt_redo(ctx, b.pc, LOG_REC_BT_SMOEND, pe, re->cb, re->lsn), JET_errSuccess);
    CHECK(bt_redo_pending(ctx) == 0);
    CHECK_ERR(bt_check(&b.env, root, &cnodes), JET_errSuccess);
    CHECK(cnodes == before + 1);
    bt_redo_end(ctx);
    bt_redo_end(NULL);
    CHECK(LATCHES_HELD(b.pc) == 0);
    tdb_close(&a);
    tdb_close(&b);
}

TEST(redo_rejects_bad_records)
{
    tdb t;
    bt_redo_ctx *ctx = NULL;
    CHECK(tdb_open(&t, "redo_rejects_bad_records", 4096, 1) == 0);
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    uint8_t rec[32] = { 0 };
    CHECK_ERR(bt_redo(NULL, t.pc, LOG_REC_BT_INSERT, rec, 16, 100), JET_errInvalidParameter);
    CHECK_ERR(bt_redo(ctx, t.pc, LOG_REC_BT_INSERT, rec, 4, 100), JET_errLogCorrupted);
    rec[0] = TDB_DBID;
    rec[4] = 1;      /* pgno 1: the space page, not a leaf */
    rec[10] = 2;     /* cbKey 2, cbData 0 */
    CHECK_ERR(bt_redo(ctx, t.pc, LOG_REC_BT_INSERT, rec, 15, LSN_MAKE(9, 0, 0)), JET_errLogCorrupted);
    CHECK_ERR(bt_redo(ctx, t.pc, LOG_REC_BT_INSERT, rec, 16, LSN_MAKE(9, 0, 0)), JET_errDatabaseCorrupted);
    CHECK_ERR(bt_redo(ctx, t.pc, 40, rec, 16, LSN_MAKE(9, 0, 0)), JET_errLogCorrupted);
    /* Images: short, sizes that do not add up, a change named after a later lsn. */
    CHECK_ERR(bt_redo(ctx, t.pc, LOG_REC_BT_PAGEIMAGE, rec, 20, LSN_MAKE(9, 0, 0)), JET_errLogCorrupted);
    rec[8] = 40;     /* cbHead 40, cbTail 0, 32 bytes given */
    CHECK_ERR(bt_redo(ctx, t.pc, LOG_REC_BT_PAGEIMAGE, rec, 32, LSN_MAKE(9, 0, 0)), JET_errLogCorrupted);
    rec[8] = 8;
    rec[16 + 5] = 10; /* smoid LSN_MAKE(10, 0, 0) > the record's lsn */
    CHECK_ERR(bt_redo(ctx, t.pc, LOG_REC_BT_PAGEIMAGE, rec, 32, LSN_MAKE(9, 0, 0)), JET_errLogCorrupted);
    CHECK(bt_redo_pending(ctx) == 0);
    CHECK(bt_redo_dbid(rec, 16) == TDB_DBID && bt_redo_dbid(rec, 3) == 0);
    bt_redo_end(ctx);
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* D1 (log volume, issue 20): a structure change logs a page that was dirty
 * before it as the bytes that changed (PAGEDIFF), so an append split costs a
 * few hundred bytes, not a full left page; replay rebuilds every page byte
 * for byte; a diff meeting other bytes than its change started from is
 * refused (JET_errDatabaseCorrupted), never patched in; malformed diffs are
 * JET_errLogCorrupted. */
TEST(smo_pagediff_append_split)
{
    tdb a, b, c;
    CHECK(tdb_open(&a, "pagediff_a", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 5, &root), JET_errSuccess);
    uint8_t key[4], data[100];
    memset(data, 0x5A, sizeof data);
    size_t nsmo = 0, cbSmo = 0, ndiff = 0, iDiffSmo = 0, iDiffEnd = 0;
    for (uint32_t i = 0; i < 3000; i++) {
        key_of(i, key);
        size_t from = a.log.crec;
        CHECK_ERR(bt_insert(&a.env, a.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
        if (a.log.crec - from <= 1)
            continue;
        nsmo++;
        for (size_t k = from; k < a.log.crec; k++) {
            cbSmo += 16 + a.log.recs[k].cb;
            if (a.log.recs[k].type == LOG_REC_BT_PAGEDIFF && ndiff++ == 0) {
                iDiffSmo = from;
                iDiffEnd = a.log.crec;
            }
        }
    }
    /* ~36 nodes a page: ~80 splits.  Each one's images would be > 4 KiB. */
    CHECK(nsmo > 60 && ndiff >= 2 * nsmo);
    CHECK(cbSmo / nsmo < 1024);
    snapshot fin = { 0 }, got = { 0 };
    CHECK(snap_take(&a, &fin) == 0);
    CHECK(tdb_open_file(&b, "pagediff_b", 4096, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    CHECK(replay(&b, &a.log, 0, a.log.crec) == 0);
    CHECK(snap_take(&b, &got) == 0);
    CHECK(snap_equal(&fin, &got) == 0);
    snap_free(&got);
    snap_free(&fin);

    /* The first change with a diff, replayed onto a page that is not what it
     * started from (one byte of its body differs, its lsn is older). */
    CHECK(tdb_open_file(&c, "pagediff_c", 4096, 0) == 0);
    c.pgnoSpace = a.pgnoSpace;
    CHECK(replay(&c, &a.log, 0, iDiffSmo) == 0);
    uint32_t pgnoDiff = 0;
    for (size_t k = iDiffSmo; k < iDiffEnd; k++)
        if (a.log.recs[k].type == LOG_REC_BT_PAGEDIFF && pgnoDiff == 0)
            pgnoDiff = le_get32(a.log.buf + a.log.recs[k].off + 4);
    bf *pbf = NULL;
    CHECK_ERR(cache_read(c.pc, TDB_DBID, pgnoDiff, LATCH_EXCLUSIVE, &pbf), JET_errSuccess);
    bf_data(pbf)[4096 - 3000] ^= 0x40;   /* inside the gap or a node: either way not the change's bytes */
    cache_dirty(pbf, bf_lsn(pbf));
    cache_release(pbf);
    bt_redo_ctx *ctx = NULL;
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    JET_ERR err = JET_errSuccess;
    for (size_t k = iDiffSmo; k < iDiffEnd && err >= 0; k++)
        err = bt_redo(ctx, c.pc, a.log.recs[k].type, a.log.buf + a.log.recs[k].off, a.log.recs[k].cb,
                      a.log.recs[k].lsn);
    CHECK_ERR(err, JET_errDatabaseCorrupted);
    bt_redo_end(ctx);

    /* Malformed diffs. */
    const flog_rec *rd = NULL;
    for (size_t k = iDiffSmo; k < iDiffEnd && rd == NULL; k++)
        if (a.log.recs[k].type == LOG_REC_BT_PAGEDIFF)
            rd = &a.log.recs[k];
    uint8_t rec[64];
    CHECK(rd != NULL && rd->cb >= 28 && rd->cb <= sizeof rec);
    memcpy(rec, a.log.buf + rd->off, rd->cb);
    memset(rec + 16, 0, 8);   /* the first record of a change */
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    CHECK_ERR(bt_redo(ctx, c.pc, LOG_REC_BT_PAGEDIFF, rec, 20, rd->lsn), JET_errLogCorrupted);       /* short */
    CHECK_ERR(bt_redo(ctx, c.pc, LOG_REC_BT_PAGEDIFF, rec, rd->cb - 1, rd->lsn), JET_errLogCorrupted); /* run cut */
    uint16_t ib = (uint16_t)le_get16(rec + 24);
    le_put16(rec + 24, 8);   /* a run over the cache's words */
    CHECK_ERR(bt_redo(ctx, c.pc, LOG_REC_BT_PAGEDIFF, rec, rd->cb, rd->lsn), JET_errLogCorrupted);
    le_put16(rec + 24, 4096);   /* past the page */
    CHECK_ERR(bt_redo(ctx, c.pc, LOG_REC_BT_PAGEDIFF, rec, rd->cb, rd->lsn), JET_errLogCorrupted);
    le_put16(rec + 24, ib);
    CHECK(bt_redo_pending(ctx) == 0);
    /* A diff of a page that already has a record in its change. */
    CHECK_ERR(bt_redo(ctx, c.pc, LOG_REC_BT_PAGEDIFF, rec, rd->cb, rd->lsn), JET_errSuccess);
    le_put64(rec + 16, rd->lsn);
    CHECK_ERR(bt_redo(ctx, c.pc, LOG_REC_BT_PAGEDIFF, rec, rd->cb, rd->lsn + 100), JET_errLogFileCorrupt);
    bt_redo_end(ctx);
    CHECK(LATCHES_HELD(c.pc) == 0);
    tdb_close(&a);
    tdb_close(&b);
    tdb_close(&c);
}

/* T3 (torn pages): a page is imaged by its first change below the image
 * threshold, not by its first change after the cache wrote it.  A leaf
 * written back (clean) and changed again logs a record operation while its
 * lsn is at or past the threshold; once the threshold moves past its lsn (a
 * checkpoint advance, CP5 in isam/inst.c) its next change is its image, and
 * the one after that a record again. */
TEST(torn_image_threshold)
{
    tdb t;
    CHECK(tdb_open(&t, "torn_image_threshold", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    uint8_t key[4], data[100];
    memset(data, 5, sizeof data);
    for (uint32_t i = 0; i < 3; i++) {
        key_of(i, key);
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    }
    CHECK(t.log.recs[t.log.crec - 1].type == LOG_REC_BT_INSERT);
    CHECK_ERR(cache_flush(t.pc, TDB_DBID), JET_errSuccess);   /* written: clean since */
    size_t from = t.log.crec;
    key_of(10, key);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    CHECK(t.log.crec == from + 1 && t.log.recs[from].type == LOG_REC_BT_INSERT);
    cache_raise_image_lsn(t.pc, t.log.next);   /* as a checkpoint advance */
    from = t.log.crec;
    key_of(11, key);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    CHECK(t.log.crec == from + 2 && t.log.recs[from].type == LOG_REC_BT_PAGEIMAGE &&
          t.log.recs[from + 1].type == LOG_REC_BT_SMOEND);
    from = t.log.crec;
    key_of(12, key);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    CHECK(t.log.crec == from + 1 && t.log.recs[from].type == LOG_REC_BT_INSERT);
    tdb_close(&t);
}

/* bt_insert_undo (log volume, issue 20): an insert logged as a record
 * operation carries the caller's undo bytes in its own record (INSERTU);
 * one that needs a structure change logs the caller's record first, before
 * any of the change's records; a refused insert logs nothing.  Replay
 * rebuilds the same pages, and bt_insertu_parts hands back the caller's
 * bytes and the key. */
TEST(insert_undo_one_record)
{
    tdb a, b;
    CHECK(tdb_open(&a, "insertu_a", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 5, &root), JET_errSuccess);
    uint8_t key[4], data[100], client[14], sep[8] = { 'u', 'n', 'd', 'o' };
    memset(data, 0x33, sizeof data);
    size_t ncombined = 0, nsmo = 0;
    for (uint32_t i = 0; i < 2000; i++) {
        key_of(i * 2654435761u, key);
        memset(client, (int)(i & 0xFF), sizeof client);
        memcpy(sep + 4, key, 4);
        log_part part = { sep, sizeof sep };
        bt_undo u = { 17, &part, 1, client, sizeof client, LSN_MAKE(1, 1, 1) };
        size_t from = a.log.crec;
        CHECK_ERR(bt_insert_undo(&a.env, a.pgnoSpace, root, key, 4, data, sizeof data, 0, &u), JET_errSuccess);
        const flog_rec *r0 = &a.log.recs[from];
        CHECK(u.lsn == r0->lsn);
        if (a.log.crec - from == 1) {
            const uint8_t *pvClient, *k;
            uint32_t cbClient, cbKey;
            CHECK(r0->type == LOG_REC_BT_INSERTU);
            CHECK_ERR(bt_insertu_parts(a.log.buf + r0->off, r0->cb, &pvClient, &cbClient, &k, &cbKey), JET_errSuccess);
            CHECK(cbClient == sizeof client && memcmp(pvClient, client, cbClient) == 0);
            CHECK(cbKey == 4 && memcmp(k, key, 4) == 0);
            CHECK_ERR(bt_insertu_parts(a.log.buf + r0->off, r0->cb - 1, &pvClient, &cbClient, &k, &cbKey),
                      JET_errLogCorrupted);
            ncombined++;
        } else {
            /* The caller's record first, then the change (no INSERTU). */
            CHECK(r0->type == 17 && r0->cb == sizeof sep && memcmp(a.log.buf + r0->off, sep, sizeof sep) == 0);
            for (size_t k2 = from + 1; k2 < a.log.crec; k2++)
                CHECK(a.log.recs[k2].type != LOG_REC_BT_INSERTU && a.log.recs[k2].type != 17);
            nsmo++;
        }
    }
    CHECK(ncombined > 1500 && nsmo > 40);
    /* A duplicate: refused, nothing logged. */
    key_of(0, key);
    log_part part = { sep, sizeof sep };
    bt_undo u = { 17, &part, 1, client, sizeof client, LSN_NIL };
    size_t before = a.log.crec;
    CHECK_ERR(bt_insert_undo(&a.env, a.pgnoSpace, root, key, 4, data, sizeof data, 0, &u), JET_errKeyDuplicate);
    CHECK(u.lsn == LSN_NIL && a.log.crec == before);
    u.cbClient = 256;
    CHECK_ERR(bt_insert_undo(&a.env, a.pgnoSpace, root, key, 4, data, sizeof data, 0, &u), JET_errInvalidParameter);
    /* Replay (the caller's records are not this layer's: skipped here). */
    snapshot fin = { 0 }, got = { 0 };
    CHECK(snap_take(&a, &fin) == 0);
    CHECK(tdb_open_file(&b, "insertu_b", 4096, 0) == 0);
    b.pgnoSpace = a.pgnoSpace;
    bt_redo_ctx *ctx = NULL;
    CHECK_ERR(bt_redo_begin(&ctx), JET_errSuccess);
    for (size_t k = 0; k < a.log.crec; k++) {
        const flog_rec *rec = &a.log.recs[k];
        if (rec->type == 17)
            continue;
        CHECK_ERR(bt_redo(ctx, b.pc, rec->type, a.log.buf + rec->off, rec->cb, rec->lsn), JET_errSuccess);
    }
    bt_redo_end(ctx);
    CHECK(snap_take(&b, &got) == 0);
    CHECK(snap_equal(&fin, &got) == 0);
    snap_free(&got);
    snap_free(&fin);
    CHECK(LATCHES_HELD(a.pc) == 0 && LATCHES_HELD(b.pc) == 0);
    tdb_close(&a);
    tdb_close(&b);
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

/* Writers on three trees of one database (their structure changes contend
 * for the space page while readers and cursors walk the trees) finish
 * without deadlock; their log, where record operations of some threads fall
 * between the images of another thread's change, replays to the very same
 * pages, and every prefix of it to valid trees. */
static void trees_replay_once(size_t *pnmixed)
{
    tdb t, b;
    CHECK(tdb_open(&t, "concurrent_trees_replay", 4096, 1) == 0);
    enum { NT = 3, NW = 6, NR = 3 };
    uint32_t roots[NT];
    for (int i = 0; i < NT; i++)
        CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 40 + (uint32_t)i, &roots[i]), JET_errSuccess);
    size_t crecSetup = t.log.crec;
    atomic_int stop = 0;
    worker w[NW + NR];
    pthread_t th[NW + NR];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NW + NR; i++) {
        w[i].t = &t;
        w[i].root = roots[i % NT];
        w[i].id = i;
        w[i].nops = 2500;
        w[i].pstop = &stop;
        if (i < NW)
            model_init(&w[i].m);
        CHECK(pthread_create(&th[i], NULL, i < NW ? writer_main : i % 2 ? seeker_main : reader_main, &w[i]) == 0);
    }
    for (int i = 0; i < NW; i++)
        pthread_join(th[i], NULL);
    atomic_store(&stop, 1);
    for (int i = NW; i < NW + NR; i++)
        pthread_join(th[i], NULL);
    model all[NT];
    for (int i = 0; i < NT; i++)
        model_init(&all[i]);
    for (int i = 0; i < NW + NR; i++) {
        CHECK(!w[i].failed);
        if (i >= NW)
            continue;
        for (size_t j = 0; j < w[i].m.cap; j++) {
            mentry *e = &w[i].m.tab[j];
            if (e->used)
                model_set(&all[i % NT], e->key, e->cbKey, e->data, e->cbData, 0);
        }
        model_free(&w[i].m);
    }
    for (int i = 0; i < NT; i++)
        CHECK(verify(&t, roots[i], &all[i], 1) == 0);

    /* Some change's images must have other records among them. */
    size_t nmixed = 0;
    lsn_t open = 0;
    for (size_t i = 0; i < t.log.crec; i++) {
        const flog_rec *rec = &t.log.recs[i];
        if (rec->type == LOG_REC_BT_PAGEIMAGE && open == 0)
            open = rec->lsn;
        else if (rec->type == LOG_REC_BT_SMOEND)
            open = 0;
        else if (rec->type != LOG_REC_BT_PAGEIMAGE && open != 0)
            nmixed++;
    }
    *pnmixed = nmixed;

    snapshot fin = { 0 }, got = { 0 };
    CHECK(snap_take(&t, &fin) == 0);
    CHECK(tdb_open_file(&b, "concurrent_trees_replay_b", 4096, 0) == 0);
    b.pgnoSpace = t.pgnoSpace;
    CHECK(replay(&b, &t.log, 0, t.log.crec) == 0);
    CHECK(snap_take(&b, &got) == 0);
    CHECK(snap_equal(&fin, &got) == 0);
    snap_free(&got);
    snap_free(&fin);
    tdb_close(&b);
    rng r = { 99 };
    for (int c = 0; c < 12; c++) {
        size_t cut = crecSetup + (size_t)(rnd(&r) % (t.log.crec - crecSetup));
        CHECK(tdb_open_file(&b, "concurrent_trees_replay_c", 4096, 0) == 0);
        b.pgnoSpace = t.pgnoSpace;
        CHECK(replay(&b, &t.log, 0, cut) == 0);
        for (int i = 0; i < NT; i++) {
            uint64_t cnodes;
            CHECK_ERR(bt_check(&b.env, roots[i], &cnodes), JET_errSuccess);
        }
        tdb_close(&b);
    }
    for (int i = 0; i < NT; i++)
        model_free(&all[i]);
    tdb_close(&t);
}

/* Every run's log must replay exactly (checked inside each run).  Whether
 * one change's images have another thread's records among them depends on
 * the scheduler: on a loaded machine the threads may run one after another.
 * The workload is repeated until some run shows the interleaving (a handful
 * suffices on any machine), so the interesting case is reached without a
 * test that fails by the scheduler's choice. */
TEST(concurrent_trees_replay)
{
    size_t nmixed = 0;
    for (int attempt = 0; attempt < 8 && nmixed == 0 && !unit_failed_current; attempt++)
        trees_replay_once(&nmixed);
    CHECK(nmixed > 0);
}

/* ---- bulk load (bulk.c) ----------------------------------------------------------------- */

/* Node i of a bulk load: cbKey bytes, padding first and the counter 2*i last
 * (so separators are nearly whole keys and long keys make deep trees). */
static void bulk_key(uint32_t i, uint8_t *key, uint32_t cbKey)
{
    memset(key, 0x33, cbKey - 4);
    key_of(2 * i, key + cbKey - 4);
}

static int bulk_load(tdb *t, uint32_t root, uint32_t n, uint32_t cbKey, uint32_t pct)
{
    bt_bulk *b = NULL;
    REQUIRE_ERR(bt_bulk_begin(&t->env, t->pgnoSpace, root, pct, 0, &b), JET_errSuccess);
    uint8_t key[1024], data[64];
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < n && err >= 0; i++) {
        bulk_key(i, key, cbKey);
        memset(data, (int)(i % 251), sizeof data);
        err = bt_bulk_add(b, key, cbKey, data, 1 + i % 64, 0);
    }
    REQUIRE_ERR(bt_bulk_end(b, err), JET_errSuccess);
    REQUIRE(LATCHES_HELD(t->pc) == 0);
    return 0;
}

/* The tree holds exactly the first n nodes of bulk_load, in order. */
static int bulk_verify(tdb *t, uint32_t root, uint32_t n, uint32_t cbKey)
{
    uint64_t cnodes = 0;
    REQUIRE_ERR(bt_check(&t->env, root, &cnodes), JET_errSuccess);
    REQUIRE(cnodes == n);
    bt_cursor *cur = NULL;
    REQUIRE_ERR(bt_cursor_open(&t->env, root, &cur), JET_errSuccess);
    uint8_t key[1024];
    JET_ERR err = bt_first(cur);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        const void *k, *d;
        uint32_t cbk, cbd, fl;
        bulk_key(i, key, cbKey);
        if (err != JET_errSuccess || bt_current(cur, &k, &cbk, &d, &cbd, &fl) != JET_errSuccess || cbk != cbKey ||
            memcmp(k, key, cbKey) != 0 || cbd != 1 + i % 64 || ((const uint8_t *)d)[0] != i % 251)
            rc = -1;
        err = bt_next(cur);
    }
    bt_cursor_close(cur);
    REQUIRE(rc == 0);
    REQUIRE(err == (n ? JET_errNoCurrentRecord : JET_errRecordNotFound));
    return 0;
}

/* Pages in use: owned and neither on the free list nor never used
 * (bt_space_stats counts both as free). */
static uint32_t pages_held(tdb *t)
{
    return file_owned(t) - file_free(t);
}

/* Every page the tree used is free again once it is dropped: as many pages
 * are held as before it was created (held0). */
static int bulk_no_leak(tdb *t, uint32_t root, uint32_t held0)
{
    REQUIRE_ERR(bt_drop(&t->env, t->pgnoSpace, root), JET_errSuccess);
    REQUIRE(pages_held(t) == held0);
    return 0;
}

TEST(bulk_load_shapes)
{
    static const struct {
        uint32_t cbPage, n, cbKey, pct;
        int      logged;
        uint32_t depthMin;
    } cases[] = {
        { 4096, 0, 4, 100, 1, 1 },      { 4096, 1, 4, 100, 1, 1 },     { 4096, 30, 4, 100, 1, 1 },
        { 4096, 200, 8, 100, 1, 2 },    { 4096, 20000, 4, 100, 1, 2 }, { 4096, 3000, 900, 100, 1, 5 },
        { 8192, 50000, 12, 80, 0, 3 },  { 4096, 2000, 600, 50, 1, 4 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0] && !unit_failed_current; c++) {
        tdb t;
        char name[64];
        snprintf(name, sizeof name, "bulk_shape_%zu", c);
        CHECK(tdb_open(&t, name, cases[c].cbPage, cases[c].logged) == 0);
        uint32_t root, held0 = pages_held(&t);
        CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 5, &root), JET_errSuccess);
        CHECK(bulk_load(&t, root, cases[c].n, cases[c].cbKey, cases[c].pct) == 0);
        CHECK(bulk_verify(&t, root, cases[c].n, cases[c].cbKey) == 0);
        CHECK(tree_depth(&t, root) >= cases[c].depthMin);
        /* full leaves: pages in use near the minimum */
        if (cases[c].pct == 100 && cases[c].cbKey == 4 && cases[c].n >= 20000) {
            uint32_t leavesMin = cases[c].n * (6 + 4 + 33 + 2) / (cases[c].cbPage - 40);
            CHECK(file_owned(&t) - file_free(&t) < leavesMin * 11 / 10 + 20);
        }
        /* an ordinary tree afterwards: inserts between the loaded keys */
        uint8_t key[1024], data[4] = { 1, 2, 3, 4 };
        uint32_t nIns = cases[c].n < 300 ? cases[c].n : 300;
        for (uint32_t i = 0; i < nIns; i++) {
            bulk_key(i, key, cases[c].cbKey);
            key[cases[c].cbKey - 1] |= 1;   /* 2i + 1 */
            CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, cases[c].cbKey, data, 4, 0), JET_errSuccess);
        }
        uint64_t cnodes = 0;
        CHECK_ERR(bt_check(&t.env, root, &cnodes), JET_errSuccess);
        CHECK(cnodes == cases[c].n + nIns);
        CHECK(bulk_no_leak(&t, root, held0) == 0);
        tdb_close(&t);
    }
}

TEST(bulk_load_errors)
{
    tdb t;
    CHECK(tdb_open(&t, "bulk_load_errors", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 5, &root), JET_errSuccess);
    bt_bulk *b = NULL;
    uint8_t k1[4], k2[4], big[2000];
    key_of(10, k1);
    key_of(20, k2);
    memset(big, 1, sizeof big);
    CHECK_ERR(bt_bulk_begin(&t.env, t.pgnoSpace, root, 100, 0, &b), JET_errSuccess);
    CHECK_ERR(bt_bulk_add(b, k1, 4, NULL, 0, 0), JET_errSuccess);
    CHECK_ERR(bt_bulk_add(b, k1, 4, NULL, 0, 0), JET_errKeyDuplicate);
    CHECK_ERR(bt_bulk_add(b, k2, 4, big, sizeof big, 0), JET_errRecordTooBig);
    CHECK_ERR(bt_bulk_add(b, k2, 4, NULL, 0, 0), JET_errSuccess);
    CHECK_ERR(bt_bulk_add(b, k1, 3, NULL, 0, 0), JET_errInvalidParameter);   /* smaller than the last */
    CHECK_ERR(bt_bulk_end(b, JET_errKeyDuplicate), JET_errKeyDuplicate);     /* nothing placed */
    CHECK(bulk_verify(&t, root, 0, 4) == 0);
    CHECK(bulk_load(&t, root, 10, 4, 100) == 0);
    CHECK_ERR(bt_bulk_begin(&t.env, t.pgnoSpace, root, 100, 0, &b), JET_errInvalidParameter);   /* not empty */
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* K3: with a latch budget a deep tree of long keys loads in a 16-frame
 * cache (batches of 8 leaves with the right edge, the root and the space
 * page took more frames than that: JET_errOutOfBuffers). */
TEST(bulk_load_tiny_cache)
{
    uint32_t framesWas = tdb_frames;
    tdb_frames = 16;
    tdb t;
    CHECK(tdb_open(&t, "bulk_tiny", 4096, 1) == 0);
    tdb_frames = framesWas;
    uint32_t root, held0 = pages_held(&t);
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 5, &root), JET_errSuccess);
    const uint32_t n = 3000, cbKey = 900;
    bt_bulk *b = NULL;
    CHECK_ERR(bt_bulk_begin(&t.env, t.pgnoSpace, root, 100, 8, &b), JET_errSuccess);
    uint8_t key[1024], data[64];
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < n && err >= 0; i++) {
        bulk_key(i, key, cbKey);
        memset(data, (int)(i % 251), sizeof data);
        err = bt_bulk_add(b, key, cbKey, data, 1 + i % 64, 0);
    }
    CHECK_ERR(bt_bulk_end(b, err), JET_errSuccess);
    CHECK(LATCHES_HELD(t.pc) == 0);
    CHECK(bulk_verify(&t, root, n, cbKey) == 0);
    CHECK(tree_depth(&t, root) >= 5);
    CHECK(bulk_no_leak(&t, root, held0) == 0);
    tdb_close(&t);
}

/* K1: the log cut anywhere in a bulk load replays to a valid tree holding a
 * prefix of the nodes, with every page reachable (none leaked once dropped). */
TEST(bulk_load_replay_cuts)
{
    tdb a;
    CHECK(tdb_open(&a, "bulk_cuts_a", 4096, 1) == 0);
    uint32_t root, held0 = pages_held(&a);
    CHECK_ERR(bt_create(&a.env, a.pgnoSpace, 5, &root), JET_errSuccess);
    size_t crecSetup = a.log.crec;
    const uint32_t n = 6000;
    CHECK(bulk_load(&a, root, n, 20, 100) == 0);
    size_t crecEnd = a.log.crec;
    CHECK(crecEnd > crecSetup + 20);
    rng r = { 99 };
    uint64_t prev = 0;
    for (int i = 0; i <= 12 && !unit_failed_current; i++) {
        size_t cut = i == 12 ? crecEnd : crecSetup + (size_t)i * (crecEnd - crecSetup) / 12 + rnd(&r) % 3;
        if (cut > crecEnd)
            cut = crecEnd;
        tdb b;
        CHECK(tdb_open_file(&b, "bulk_cuts_b", 4096, 0) == 0);
        b.pgnoSpace = a.pgnoSpace;
        CHECK(replay(&b, &a.log, 0, cut) == 0);
        uint64_t cnodes = 0;
        CHECK_ERR(bt_check(&b.env, root, &cnodes), JET_errSuccess);
        CHECK(cnodes >= prev && cnodes <= n);
        CHECK(bulk_verify(&b, root, (uint32_t)cnodes, 20) == 0);
        prev = cnodes;
        CHECK(bulk_no_leak(&b, root, held0) == 0);
        tdb_close(&b);
    }
    CHECK(prev == n);
    tdb_close(&a);
}

/* ---- append hint (H1, L8 in btree.c) ------------------------------------------------- */

#define HINT_USED()    os_testcase_hits("fHintOk")
#define HINT_REFUSED() os_testcase_hits("!fHintOk")

static int hint_insert(tdb *t, uint32_t root, uint32_t i, JET_ERR want)
{
    uint8_t key[4], data[100];
    key_of(i, key);
    memset(data, (int)(i & 0xFF), sizeof data);
    REQUIRE_ERR(bt_insert(&t->env, t->pgnoSpace, root, key, 4, data, sizeof data, 0), want);
    return 0;
}

/* Every key of lo..hi (step) is in the tree with its data, and the tree is valid. */
static int hint_verify(tdb *t, uint32_t root, uint64_t cnodesWant)
{
    uint64_t cnodes = 0;
    REQUIRE_ERR(bt_check(&t->env, root, &cnodes), JET_errSuccess);
    REQUIRE(cnodes == cnodesWant);
    REQUIRE(LATCHES_HELD(t->pc) == 0);
    return 0;
}

static int hint_has(tdb *t, uint32_t root, uint32_t i)
{
    uint8_t key[4], data[100];
    uint32_t cb = 0;
    key_of(i, key);
    REQUIRE_ERR(bt_lookup(&t->env, root, key, 4, data, sizeof data, &cb, NULL), JET_errSuccess);
    REQUIRE(cb == 100 && data[0] == (uint8_t)(i & 0xFF));
    return 0;
}

/* Ascending inserts go to the rightmost leaf without a descent; a split
 * refuses the hint once; the result is the same valid tree. */
TEST(append_hint_used_and_split_refuses)
{
    tdb t;
    tdb_key_prefix = 0;   /* format-1 leaves: the leaf count below is exact */
    int rc = tdb_open(&t, "append_hint_used", 4096, 1);
    tdb_key_prefix = 1;
    CHECK(rc == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    const uint32_t n = 20000;
    uint64_t used0 = HINT_USED(), refused0 = HINT_REFUSED();
    for (uint32_t i = 0; i < n; i++)
        CHECK(hint_insert(&t, root, i, JET_errSuccess) == 0);
    CHECK(tree_depth(&t, root) >= 3);
    uint32_t leaves = n * (6 + 4 + 100 + 2) / (4096 - 40);
    /* Served by the hint: all but one insert per leaf (the one after the
     * split that made it, refused, and the one that set it by descending). */
    CHECK(HINT_USED() - used0 >= n - 3 * leaves);
    CHECK(HINT_REFUSED() - refused0 >= leaves - 2);   /* each append split */
    CHECK(HINT_REFUSED() - refused0 <= leaves + 2);
    CHECK(hint_verify(&t, root, n) == 0);
    for (uint32_t i = 0; i < n; i += 97)
        CHECK(hint_has(&t, root, i) == 0);
    /* Equal key: refused by the hint, the descent says duplicate. */
    uint64_t used1 = HINT_USED();
    CHECK(hint_insert(&t, root, n - 1, JET_errKeyDuplicate) == 0);
    CHECK(hint_insert(&t, root, n - 2, JET_errKeyDuplicate) == 0);
    CHECK(HINT_USED() == used1);
    CHECK(hint_verify(&t, root, n) == 0);
    tdb_close(&t);
}

/* Descending keys never use the hint (they go to the leftmost leaf). */
TEST(append_hint_descending_unused)
{
    tdb t;
    CHECK(tdb_open(&t, "append_hint_descending", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    uint64_t used0 = HINT_USED();
    for (uint32_t i = 5000; i-- > 0;)
        CHECK(hint_insert(&t, root, i, JET_errSuccess) == 0);
    CHECK(HINT_USED() == used0);
    CHECK(hint_verify(&t, root, 5000) == 0);
    tdb_close(&t);
}

/* Another writer's larger key: the hint still names the rightmost leaf, but
 * a key below its new last key is refused and goes where it belongs. */
TEST(append_hint_other_insert_and_delete)
{
    tdb t;
    CHECK(tdb_open(&t, "append_hint_other", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &root), JET_errSuccess);
    for (uint32_t i = 0; i < 4000; i += 2)
        CHECK(hint_insert(&t, root, i, JET_errSuccess) == 0);
    CHECK(hint_insert(&t, root, 10000, JET_errSuccess) == 0);   /* "another session" */
    uint64_t used0 = HINT_USED(), refused0 = HINT_REFUSED();
    CHECK(hint_insert(&t, root, 4001, JET_errSuccess) == 0);   /* between: must not append */
    CHECK(HINT_USED() == used0 && HINT_REFUSED() == refused0 + 1);
    CHECK(hint_insert(&t, root, 10001, JET_errSuccess) == 0);   /* re-set by the descent above */
    CHECK(hint_insert(&t, root, 10002, JET_errSuccess) == 0);
    CHECK(HINT_USED() >= used0 + 1);
    CHECK(hint_verify(&t, root, 2000 + 4) == 0);
    CHECK(hint_has(&t, root, 4001) == 0);

    /* Delete the last key: the next key above the new last key appends,
     * and a key equal to the deleted one goes back in. */
    uint8_t key[4];
    key_of(10002, key);
    CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
    CHECK(hint_insert(&t, root, 10002, JET_errSuccess) == 0);
    CHECK(hint_has(&t, root, 10002) == 0);
    /* Delete the rightmost leaf's keys down to a merge (the hinted leaf is
     * freed or emptied): later appends are refused, then re-hinted. */
    for (uint32_t i = 3998; i >= 3000; i -= 2) {
        key_of(i, key);
        CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
    }
    for (uint32_t i = 10000; i <= 10002; i++) {
        key_of(i, key);
        CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
    }
    key_of(4001, key);
    CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
    CHECK(hint_verify(&t, root, 1500) == 0);
    for (uint32_t i = 3000; i < 3200; i++)
        CHECK(hint_insert(&t, root, i * 2 + 1, JET_errSuccess) == 0);
    CHECK(hint_verify(&t, root, 1700) == 0);
    CHECK(hint_has(&t, root, 6399) == 0);
    CHECK(hint_has(&t, root, 2998) == 0);
    tdb_close(&t);
}

/* Two trees (a table and its index) filled in turn, and hints that name
 * the wrong page -- the other tree's rightmost leaf (another objid), the
 * space page, a page past the end, either root: refused, never used. */
TEST(append_hint_two_trees_and_bad_hints)
{
    tdb t;
    CHECK(tdb_open(&t, "append_hint_two_trees", 4096, 1) == 0);
    uint32_t r1, r2;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 3, &r1), JET_errSuccess);
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 4, &r2), JET_errSuccess);
    for (uint32_t i = 0; i < 6000; i++) {
        CHECK(hint_insert(&t, r1, i, JET_errSuccess) == 0);
        CHECK(hint_insert(&t, r2, i * 3, JET_errSuccess) == 0);
    }
    CHECK(hint_verify(&t, r1, 6000) == 0);
    CHECK(hint_verify(&t, r2, 6000) == 0);
    CHECK(tree_depth(&t, r1) >= 2 && tree_depth(&t, r2) >= 2);
    uint32_t leaf2 = (uint32_t)atomic_load(&t.hints.slot[r2 % BT_HINTS]);
    CHECK(leaf2 != 0 && leaf2 != r2);
    uint32_t bad[] = { leaf2, t.pgnoSpace, 1000000, r1, r2 };
    uint32_t next = 6000;
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        atomic_store(&t.hints.slot[r1 % BT_HINTS], (uint64_t)r1 << 32 | bad[b]);
        uint64_t used0 = HINT_USED();
        CHECK(hint_insert(&t, r1, next++, JET_errSuccess) == 0);
        CHECK(HINT_USED() == used0);
        uint8_t key[4];
        key_of(next, key);
        atomic_store(&t.hints.slot[r1 % BT_HINTS], (uint64_t)r1 << 32 | bad[b]);
        CHECK(bt_append_absent(&t.env, r1, key, 4) == 0);
    }
    /* A hint of another root (a slot shared by two trees) is not used. */
    atomic_store(&t.hints.slot[r1 % BT_HINTS], (uint64_t)(r1 + BT_HINTS) << 32 | leaf2);
    CHECK(hint_insert(&t, r1, next++, JET_errSuccess) == 0);
    CHECK(hint_verify(&t, r1, next) == 0);
    CHECK(hint_verify(&t, r2, 6000) == 0);
    for (uint32_t i = 6000; i < next; i++)
        CHECK(hint_has(&t, r1, i) == 0);
    /* bt_append_absent: above the last key yes, at or below no. */
    uint8_t key[4];
    CHECK(hint_insert(&t, r1, next++, JET_errSuccess) == 0);   /* a descent sets the hint */
    CHECK(hint_insert(&t, r1, next++, JET_errSuccess) == 0);
    key_of(next, key);
    CHECK(bt_append_absent(&t.env, r1, key, 4) == 1);
    key_of(next - 1, key);
    CHECK(bt_append_absent(&t.env, r1, key, 4) == 0);   /* present: refused (and the hint cleared) */
    key_of(next + 5, key);
    CHECK(bt_append_absent(&t.env, r1, key, 4) == 0);   /* cleared: unknown */
    CHECK(LATCHES_HELD(t.pc) == 0);
    tdb_close(&t);
}

/* ---- redistribution into a sibling (redist.c) ---------------------------------- */

/* Shape of a two-level tree: the root's children (leaves), their node
 * counts, the root's separator keys. */
typedef struct shape2 {
    uint32_t nchild, pgno[8], cslot[8];
    uint8_t  sep[8][16];
    uint32_t cbSep[8];
} shape2;

static int shape_of(tdb *t, uint32_t root, shape2 *sh)
{
    bf *pbf = NULL;
    uint32_t cbPage = cache_page_size(t->pc);
    REQUIRE_ERR(cache_read(t->pc, TDB_DBID, root, LATCH_SHARED, &pbf), JET_errSuccess);
    const uint8_t *pg = bf_data(pbf);
    int ok = !pg_is_leaf(pg) && pg_level(pg) == 1 && pg_cslot(pg) <= 8;
    sh->nchild = ok ? pg_cslot(pg) : 0;
    for (uint32_t i = 0; i < sh->nchild; i++) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        sh->pgno[i] = bt_pg_child(pg, cbPage, i);
        sh->cbSep[i] = n.cbKey < 16 ? n.cbKey : 16;
        bt_node_copy_key(&n, sh->sep[i], sh->cbSep[i]);
    }
    cache_release(pbf);
    REQUIRE(ok);
    for (uint32_t i = 0; i < sh->nchild; i++) {
        REQUIRE_ERR(cache_read(t->pc, TDB_DBID, sh->pgno[i], LATCH_SHARED, &pbf), JET_errSuccess);
        sh->cslot[i] = pg_cslot(bf_data(pbf));
        cache_release(pbf);
    }
    return 0;
}

/* Key `which` (0 = first, 1 = last) of a leaf. */
static int leaf_key(tdb *t, uint32_t pgno, int which, uint8_t *key, uint32_t *pcb)
{
    bf *pbf = NULL;
    REQUIRE_ERR(cache_read(t->pc, TDB_DBID, pgno, LATCH_SHARED, &pbf), JET_errSuccess);
    const uint8_t *pg = bf_data(pbf);
    bt_node n;
    int ok = pg_cslot(pg) > 0 && pg_is_leaf(pg);
    if (ok) {
        bt_pg_node(pg, cache_page_size(t->pc), which ? pg_cslot(pg) - 1 : 0, &n);
        bt_node_copy_key(&n, key, n.cbKey);
        *pcb = n.cbKey;
    }
    cache_release(pbf);
    REQUIRE(ok);
    return 0;
}

/* The root's separator i is the shortest key between the last key of child
 * i-1 and the first key of child i. */
static int separator_is_shortest(tdb *t, const shape2 *sh, uint32_t i)
{
    uint8_t l[16], r[16];
    uint32_t cbL, cbR, c = 0;
    REQUIRE(leaf_key(t, sh->pgno[i - 1], 1, l, &cbL) == 0 && leaf_key(t, sh->pgno[i], 0, r, &cbR) == 0);
    while (c < cbL && c < cbR && l[c] == r[c])
        c++;
    REQUIRE(sh->cbSep[i] == c + 1 && memcmp(sh->sep[i], r, c + 1) == 0);
    REQUIRE(keycmp(l, cbL, sh->sep[i], sh->cbSep[i]) < 0 && keycmp(sh->sep[i], sh->cbSep[i], r, cbR) <= 0);
    return 0;
}

static int cursor_key_is(bt_cursor *cur, uint32_t v)
{
    const void *key;
    uint32_t cbKey;
    uint8_t want[4];
    key_of(v, want);
    REQUIRE_ERR(bt_current(cur, &key, &cbKey, NULL, NULL, NULL), JET_errSuccess);
    REQUIRE(cbKey == 4 && memcmp(key, want, 4) == 0);
    return 0;
}

static int ins_v(tdb *t, uint32_t root, model *m, uint32_t v)
{
    uint8_t key[4], data[100];
    key_of(v, key);
    memset(data, (int)(v & 0xFF), sizeof data);
    REQUIRE_ERR(bt_insert(&t->env, t->pgnoSpace, root, key, 4, data, sizeof data, 0), JET_errSuccess);
    model_set(m, key, 4, data, sizeof data, 0);
    return 0;
}

/* A full leaf gives nodes to its right sibling, then (the right one full, the
 * left one with room) to its left sibling, each time as one 3-page change
 * (leaf, sibling, parent: no new page) with the shortest separator; cursors
 * on moved nodes find their neighbours; once both are full the leaf splits.
 * Replay of the log rebuilds the pages; replay of a log that ends inside the
 * redistribution (no SMOEND) leaves the pages as they were before it. */
TEST(redist_into_siblings)
{
    tdb t, b, c;
    CHECK(tdb_open(&t, "redist_a", 4096, 1) == 0);
    uint32_t root;
    uint64_t cpg0 = 0, cpg = 0;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 7, &root), JET_errSuccess);
    model m;
    model_init(&m);
    /* Ascending: the left leaf full (append split), the right one with 4. */
    for (uint32_t v = 10; v <= 400; v += 10)
        CHECK(ins_v(&t, root, &m, v) == 0);
    shape2 sh0, sh;
    CHECK(shape_of(&t, root, &sh0) == 0);
    CHECK(sh0.nchild == 2 && sh0.cslot[0] == 36 && sh0.cslot[1] == 4);
    CHECK_ERR(bt_count_pages(&t.env, root, &cpg0), JET_errSuccess);
    bt_cursor *cur1 = NULL, *cur2 = NULL;
    uint8_t key[4];
    CHECK_ERR(bt_cursor_open(&t.env, root, &cur1), JET_errSuccess);
    CHECK_ERR(bt_cursor_open(&t.env, root, &cur2), JET_errSuccess);
    key_of(360, key);   /* the left leaf's last node: it moves right */
    CHECK_ERR(bt_seek(cur1, key, 4, BT_SEEK_EQ), JET_errSuccess);
    key_of(350, key);
    CHECK_ERR(bt_seek(cur2, key, 4, BT_SEEK_EQ), JET_errSuccess);
    snapshot before = { 0 }, after = { 0 }, got = { 0 };
    CHECK(snap_take(&t, &before) == 0);

    /* 1. Into the full left leaf: nodes go right. */
    size_t from = t.log.crec;
    CHECK(ins_v(&t, root, &m, 15) == 0);
    size_t to = t.log.crec;
    int cpgChange = 0;
    CHECK(check_change(&t, from, to, &cpgChange) == 0);
    CHECK(cpgChange == 3);
    CHECK(shape_of(&t, root, &sh) == 0);
    CHECK(sh.nchild == 2 && sh.pgno[0] == sh0.pgno[0] && sh.pgno[1] == sh0.pgno[1]);
    CHECK(sh.cslot[0] + sh.cslot[1] == 41 && sh.cslot[1] > 4 && sh.cslot[0] < 36);
    CHECK(sh.cslot[0] - sh.cslot[1] + 1 <= 2);   /* even */
    CHECK(separator_is_shortest(&t, &sh, 1) == 0);
    CHECK_ERR(bt_count_pages(&t.env, root, &cpg), JET_errSuccess);
    CHECK(cpg == cpg0);
    CHECK(verify(&t, root, &m, 1) == 0);
    /* Cursors on moved and kept nodes: both neighbours are found. */
    CHECK(cursor_key_is(cur1, 360) == 0);
    CHECK_ERR(bt_next(cur1), JET_errSuccess);
    CHECK(cursor_key_is(cur1, 370) == 0);
    CHECK_ERR(bt_prev(cur1), JET_errSuccess);
    CHECK(cursor_key_is(cur1, 360) == 0);
    CHECK_ERR(bt_prev(cur2), JET_errSuccess);
    CHECK(cursor_key_is(cur2, 340) == 0);
    CHECK(snap_take(&t, &after) == 0);

    /* 2. Crash inside the change: redo without its SMOEND = the pages before
     * it; with it = the pages after it. */
    CHECK(tdb_open_file(&c, "redist_c", 4096, 0) == 0);
    c.pgnoSpace = t.pgnoSpace;
    CHECK(replay(&c, &t.log, 0, to - 1) == 0);
    CHECK(snap_take(&c, &got) == 0);
    CHECK(snap_equal(&before, &got) == 0);
    snap_free(&got);
    CHECK(replay(&c, &t.log, 0, to) == 0);
    CHECK(snap_take(&c, &got) == 0);
    CHECK(snap_equal(&after, &got) == 0);
    snap_free(&got);
    tdb_close(&c);

    /* 3. Fill the right (last) leaf between its keys: a full right leaf
     * with no right sibling gives nodes to the left one. */
    CHECK(shape_of(&t, root, &sh0) == 0);
    int fLeft = 0;
    uint32_t lastR = 400;
    for (uint32_t v = 371; v < 400 && !fLeft; v++) {
        if (v % 10 == 0)
            continue;
        CHECK(ins_v(&t, root, &m, v) == 0);
        CHECK(shape_of(&t, root, &sh) == 0);
        CHECK(sh.nchild == 2);
        fLeft = sh.cslot[0] > sh0.cslot[0];
        lastR = v;
    }
    CHECK(fLeft && lastR < 400);
    CHECK_ERR(bt_count_pages(&t.env, root, &cpg), JET_errSuccess);
    CHECK(cpg == cpg0);
    CHECK(separator_is_shortest(&t, &sh, 1) == 0);
    CHECK(verify(&t, root, &m, 1) == 0);
    CHECK(cursor_key_is(cur1, 360) == 0);
    CHECK_ERR(bt_next(cur1), JET_errSuccess);
    CHECK(cursor_key_is(cur1, 370) == 0);

    /* 4. Both full: the next insert into either splits (fallback). */
    int fSplit = 0;
    for (uint32_t v = 11; v < 360 && !fSplit; v++) {
        if (v % 10 == 0 || v == 15)
            continue;
        CHECK(shape_of(&t, root, &sh0) == 0);
        CHECK(ins_v(&t, root, &m, v) == 0);
        CHECK(shape_of(&t, root, &sh) == 0);
        fSplit = sh.nchild == 3;
        if (!fSplit)
            CHECK(sh.cslot[0] + sh.cslot[1] == sh0.cslot[0] + sh0.cslot[1] + 1);
    }
    CHECK(fSplit);
    CHECK(sh0.cslot[0] + sh0.cslot[1] + 1 > 2 * 36 - 36 / 4);   /* only when there was no room (R3) */
    CHECK(verify(&t, root, &m, 1) == 0);
    bt_cursor_close(cur1);
    bt_cursor_close(cur2);

    /* 5. The whole log on an empty file: the same pages. */
    snap_free(&after);
    CHECK(snap_take(&t, &after) == 0);
    CHECK(tdb_open_file(&b, "redist_b", 4096, 0) == 0);
    b.pgnoSpace = t.pgnoSpace;
    CHECK(replay(&b, &t.log, 0, t.log.crec) == 0);
    CHECK(snap_take(&b, &got) == 0);
    CHECK(snap_equal(&after, &got) == 0);
    CHECK(verify(&b, root, &m, 1) == 0);
    snap_free(&got);
    snap_free(&before);
    snap_free(&after);
    model_free(&m);
    tdb_close(&b);
    tdb_close(&t);
}

/* R6: a full leaf whose siblings are full too: the group (left, leaf, right)
 * is cut into one more page (3-to-4; 2-to-3 for a first child), all of
 * about equal counts, with the shortest separators, as one change of the
 * group, the new page, the parent and the space page.  Replay of the log up
 * to just before its SMOEND leaves the pages as they were; with it, as
 * after. */
TEST(redist_splits_group_into_one_more_page)
{
    tdb t, c;
    CHECK(tdb_open(&t, "redist_r6", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 7, &root), JET_errSuccess);
    model m;
    model_init(&m);
    /* Ascending: append splits leave four full leaves. */
    for (uint32_t v = 10; v <= 1440; v += 10)
        CHECK(ins_v(&t, root, &m, v) == 0);
    shape2 sh0, sh;
    CHECK(shape_of(&t, root, &sh0) == 0);
    CHECK(sh0.nchild == 4);
    for (uint32_t i = 0; i < 4; i++)
        CHECK(sh0.cslot[i] == 36);
    snapshot before = { 0 }, after = { 0 }, got = { 0 };
    CHECK(snap_take(&t, &before) == 0);

    /* 1. Into the second leaf: leaves 0-2 become four pages (3-to-4). */
    size_t from = t.log.crec;
    CHECK(ins_v(&t, root, &m, 375) == 0);
    size_t to = t.log.crec;
    int cpg = 0;
    CHECK(check_change(&t, from, to, &cpg) == 0);
    CHECK(cpg == 6 && change_has_page(&t, from, to, t.pgnoSpace));   /* 3 leaves, new page, root, space */
    CHECK(shape_of(&t, root, &sh) == 0);
    CHECK(sh.nchild == 5 && sh.pgno[0] == sh0.pgno[0] && sh.pgno[1] == sh0.pgno[1] && sh.pgno[2] != sh0.pgno[2] &&
          sh.pgno[3] == sh0.pgno[2] && sh.pgno[4] == sh0.pgno[3] && sh.cslot[4] == 36);
    CHECK(sh.cslot[0] + sh.cslot[1] + sh.cslot[2] + sh.cslot[3] == 3 * 36 + 1);
    for (uint32_t i = 0; i < 4; i++)
        CHECK(sh.cslot[i] >= 26 && sh.cslot[i] <= 28);   /* even (3 * 36 + 1) / 4 */
    for (uint32_t i = 1; i < 5; i++)
        CHECK(separator_is_shortest(&t, &sh, i) == 0);
    CHECK(verify(&t, root, &m, 1) == 0);
    CHECK(snap_take(&t, &after) == 0);
    CHECK(tdb_open_file(&c, "redist_r6_c", 4096, 0) == 0);
    c.pgnoSpace = t.pgnoSpace;
    CHECK(replay(&c, &t.log, 0, to - 1) == 0);
    CHECK(snap_take(&c, &got) == 0);
    CHECK(snap_equal(&before, &got) == 0);
    snap_free(&got);
    CHECK(replay(&c, &t.log, 0, to) == 0);
    CHECK(snap_take(&c, &got) == 0);
    CHECK(snap_equal(&after, &got) == 0);
    CHECK(verify(&c, root, &m, 1) == 0);
    snap_free(&got);
    tdb_close(&c);

    /* 2. Into the last leaf (full, its left sibling with room): the two
     * share their nodes out again, no page allocated (R3). */
    CHECK(shape_of(&t, root, &sh0) == 0);
    from = t.log.crec;
    CHECK(ins_v(&t, root, &m, 1205) == 0);
    CHECK(check_change(&t, from, t.log.crec, &cpg) == 0);
    CHECK(cpg == 3 && !change_has_page(&t, from, t.log.crec, t.pgnoSpace));
    CHECK(shape_of(&t, root, &sh) == 0);
    CHECK(sh.nchild == 5 && sh.cslot[3] + sh.cslot[4] == sh0.cslot[3] + sh0.cslot[4] + 1 && sh.cslot[4] < 36);
    CHECK(separator_is_shortest(&t, &sh, 4) == 0);
    CHECK(verify(&t, root, &m, 1) == 0);
    snap_free(&before);
    snap_free(&after);
    model_free(&m);
    tdb_close(&t);

    /* 3. A first child with a full right sibling: 2-to-3. */
    CHECK(tdb_open(&t, "redist_r6_b", 4096, 1) == 0);
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 7, &root), JET_errSuccess);
    model_init(&m);
    for (uint32_t v = 10; v <= 720; v += 10)
        CHECK(ins_v(&t, root, &m, v) == 0);
    CHECK(shape_of(&t, root, &sh0) == 0);
    CHECK(sh0.nchild == 2 && sh0.cslot[0] == 36 && sh0.cslot[1] == 36);
    from = t.log.crec;
    CHECK(ins_v(&t, root, &m, 15) == 0);
    CHECK(check_change(&t, from, t.log.crec, &cpg) == 0);
    CHECK(cpg == 5);   /* 2 leaves, new page, root, space */
    CHECK(shape_of(&t, root, &sh) == 0);
    CHECK(sh.nchild == 3 && sh.pgno[0] == sh0.pgno[0] && sh.pgno[2] == sh0.pgno[1]);
    CHECK(sh.cslot[0] + sh.cslot[1] + sh.cslot[2] == 73);
    for (uint32_t i = 0; i < 3; i++)
        CHECK(sh.cslot[i] >= 24 && sh.cslot[i] <= 25);
    for (uint32_t i = 1; i < 3; i++)
        CHECK(separator_is_shortest(&t, &sh, i) == 0);
    CHECK(verify(&t, root, &m, 1) == 0);
    model_free(&m);
    tdb_close(&t);
}

/* Random inserts leave leaves fuller than the half pages of splits (the
 * point of redistribution, issue 20), with random deletes mixed in, and the
 * log still replays to the same pages. */
TEST(redist_random_fill)
{
    tdb t, b;
    CHECK(tdb_open(&t, "redist_fill_a", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 9, &root), JET_errSuccess);
    model m;
    model_init(&m);
    for (uint32_t i = 0; i < 20000; i++)
        CHECK(ins_v(&t, root, &m, i * 2654435761u) == 0);
    uint64_t cpg = 0;
    CHECK_ERR(bt_count_pages(&t.env, root, &cpg), JET_errSuccess);
    /* 112 bytes a node, 4056 usable bytes a page (internal pages counted
     * too): plain splits filled 0.64 of 865 pages, redistribution into one
     * sibling 0.79 of 698, the group rebalance and split (R3, R6) 0.86 of 639. */
    double fill = 20000.0 * 112 / ((double)cpg * 4056);
    if (fill < 0.84)
        fprintf(stderr, "fill %.3f over %llu pages\n", fill, (unsigned long long)cpg);
    CHECK(fill >= 0.84);
    rng r = { 99 };
    for (uint32_t i = 0; i < 20000; i++) {
        uint8_t key[4];
        uint32_t v = (rnd(&r) % 20000) * 2654435761u;
        key_of(v, key);
        if (i % 3 == 0 && model_find(&m, key, 4) != NULL) {
            CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, 4), JET_errSuccess);
            model_del(&m, key, 4);
        } else if (i % 3 != 0 && model_find(&m, key, 4) == NULL) {
            CHECK(ins_v(&t, root, &m, v) == 0);
        }
    }
    CHECK(verify(&t, root, &m, 1) == 0);
    snapshot fin = { 0 }, got = { 0 };
    CHECK(snap_take(&t, &fin) == 0);
    CHECK(tdb_open_file(&b, "redist_fill_b", 4096, 0) == 0);
    b.pgnoSpace = t.pgnoSpace;
    CHECK(replay(&b, &t.log, 0, t.log.crec) == 0);
    CHECK(snap_take(&b, &got) == 0);
    CHECK(snap_equal(&fin, &got) == 0);
    CHECK(verify(&b, root, &m, 1) == 0);
    snap_free(&fin);
    snap_free(&got);
    model_free(&m);
    tdb_close(&b);
    tdb_close(&t);
}

/* Used bytes of the tree's leaves over their capacity (left to right). */
static double leaf_fill(tdb *t, uint32_t root)
{
    uint32_t cbPage = cache_page_size(t->pc), pgno = root;
    uint64_t used = 0, cpg = 0;
    for (;;) {
        bf *pbf = NULL;
        if (cache_read(t->pc, TDB_DBID, pgno, LATCH_SHARED, &pbf) < 0)
            return -1;
        const uint8_t *pg = bf_data(pbf);
        uint32_t next = pg_is_leaf(pg) ? 0 : bt_pg_child(pg, cbPage, 0);
        cache_release(pbf);
        if (next == 0)
            break;
        pgno = next;
    }
    while (pgno != 0) {
        bf *pbf = NULL;
        if (cache_read(t->pc, TDB_DBID, pgno, LATCH_SHARED, &pbf) < 0)
            return -1;
        used += bt_pg_used(bf_data(pbf), cbPage);
        cpg++;
        pgno = pg_next(bf_data(pbf));
        cache_release(pbf);
    }
    return (double)used / ((double)cpg * bt_cap(cbPage));
}

/* R5: on prefix pages (keys sharing 24 bytes, stored in 4 or so) random
 * inserts still redistribute: planning with whole-key sizes (28 bytes a key,
 * a node a third larger than on the page) refused nearly every sibling and
 * left leaves at a split's fill. */
TEST(redist_random_fill_prefix_pages)
{
    tdb t;
    CHECK(tdb_open(&t, "redist_fill_pfx", 4096, 1) == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 9, &root), JET_errSuccess);
    model m;
    model_init(&m);
    uint8_t key[28], data[60];
    memset(key, 0, sizeof key);
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t v = i * 2654435761u;
        key_of(v, key + 24);
        memset(data, (int)(v & 0xFF), sizeof data);
        CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, sizeof key, data, sizeof data, 0), JET_errSuccess);
        model_set(&m, key, sizeof key, data, sizeof data, 0);
    }
    double fill = leaf_fill(&t, root);
    if (fill < 0.84)   /* 0.86 with R3 and R6 (0.79 redistributing into one sibling) */
        fprintf(stderr, "prefix pages: leaf fill %.3f\n", fill);
    CHECK(fill >= 0.84);
    CHECK(verify(&t, root, &m, 1) == 0);
    model_free(&m);
    tdb_close(&t);
}

/* Key [g] + 900 'x' + tail: keys of one group share 901 bytes, so a separator
 * between two of them is long and one between groups is a single byte. */
static uint32_t long_key(uint8_t g, const uint8_t *tail, uint32_t cbTail, uint8_t *key)
{
    key[0] = g;
    memset(key + 1, 'x', 900);
    memcpy(key + 901, tail, cbTail);
    return 901 + cbTail;
}

static int ins_long(tdb *t, uint32_t root, model *m, uint8_t g, uint32_t tail)
{
    uint8_t key[1024], tl[2] = { (uint8_t)(tail >> 8), (uint8_t)tail };
    uint32_t cbKey = long_key(g, tl, 2, key);
    REQUIRE_ERR(bt_insert(&t->env, t->pgnoSpace, root, key, cbKey, "d", 1, 0), JET_errSuccess);
    model_set(m, key, cbKey, (const uint8_t *)"d", 1, 0);
    return 0;
}

/* R4: a sibling with room is not used when the parent cannot take the new
 * separator in place of the old one; the leaf splits instead. */
TEST(redist_falls_back_when_parent_is_full)
{
    tdb t;
    tdb_key_prefix = 0;   /* format-1 leaves: the node sizes below are exact (the keys share 901 bytes) */
    int rc = tdb_open(&t, "redist_r4", 4096, 1);
    tdb_key_prefix = 1;
    CHECK(rc == 0);
    uint32_t root;
    CHECK_ERR(bt_create(&t.env, t.pgnoSpace, 11, &root), JET_errSuccess);
    model m;
    model_init(&m);
    /* Nodes of 911 bytes: 4 a page.  Ascending: L0 = group 1 (full), L1 =
     * group 2's one key and group 3's first three, L2..L4 full of group 3,
     * L5 = one: the root holds "", "\x02" and four 902-byte separators
     * (3,681 of 4,056 bytes). */
    for (uint32_t i = 0; i < 4; i++)
        CHECK(ins_long(&t, root, &m, 1, i) == 0);
    CHECK(ins_long(&t, root, &m, 2, 0) == 0);
    for (uint32_t i = 0; i < 16; i++)
        CHECK(ins_long(&t, root, &m, 3, i) == 0);
    /* L1 keeps group 2's key alone (no merge: both neighbours are full). */
    for (uint32_t i = 0; i < 3; i++) {
        uint8_t key[1024], tl[2] = { 0, (uint8_t)i };
        uint32_t cbKey = long_key(3, tl, 2, key);
        CHECK_ERR(bt_delete(&t.env, t.pgnoSpace, root, key, cbKey), JET_errSuccess);
        model_del(&m, key, cbKey);
    }
    shape2 sh0, sh;
    CHECK(shape_of(&t, root, &sh0) == 0);
    CHECK(sh0.nchild == 6 && sh0.cslot[0] == 4 && sh0.cslot[1] == 1 && sh0.cbSep[1] == 1);
    uint64_t cpg0 = 0, cpg = 0;
    CHECK_ERR(bt_count_pages(&t.env, root, &cpg0), JET_errSuccess);
    /* Into full L0: L1 has room (R3 holds: 5 + 1 nodes in two pages), but
     * the separator would be two group-1 keys apart (902 bytes) where the
     * root has 375 free bytes and the old one takes 13. */
    uint8_t key[1024], tl[3] = { 0, 0, 1 };
    uint32_t cbKey = long_key(1, tl, 3, key);
    CHECK_ERR(bt_insert(&t.env, t.pgnoSpace, root, key, cbKey, "d", 1, 0), JET_errSuccess);
    model_set(&m, key, cbKey, (const uint8_t *)"d", 1, 0);
    CHECK_ERR(bt_count_pages(&t.env, root, &cpg), JET_errSuccess);
    CHECK(cpg > cpg0);   /* a new leaf (and the root pushed down and split) */
    bf *pbf = NULL;   /* L1 did not change */
    CHECK_ERR(cache_read(t.pc, TDB_DBID, sh0.pgno[1], LATCH_SHARED, &pbf), JET_errSuccess);
    uint32_t cslotL1 = pg_cslot(bf_data(pbf));
    cache_release(pbf);
    CHECK(cslotL1 == 1);
    CHECK(verify(&t, root, &m, 1) == 0);
    (void)sh;
    model_free(&m);
    tdb_close(&t);
}

UNIT_MAIN()
