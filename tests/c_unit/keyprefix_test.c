/*
 * Unit tests of page key prefixes (csrc/btree/page.c, btree_int.h X1, X2):
 * insert / delete / replace / compact / re-encode on one page against a
 * sorted reference list, the insert cost bt_pg_insert_cost predicts, and
 * damaged pages (a corrupt prefix length or node word is a layout problem,
 * never an out-of-bounds read: the suite runs under ASan / UBSan).
 */
#include "unit.h"
#include "btree_int.h"

#define CB_PAGE 4096

typedef struct ref {
    uint32_t n;
    uint8_t  key[400][64];
    uint32_t cb[400];
} ref;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void new_leaf(uint8_t *pg)
{
    memset(pg, 0, CB_PAGE);
    bt_pg_init(pg, CB_PAGE, 7, BTP_LEAF, 0);
}

/* Every node of pg equals the reference (keys whole, data = first key byte
 * repeated), P4 holds (bytes between heap and slots are zero), the layout
 * check passes and every key is found by search. */
static int page_matches(const uint8_t *pg, const ref *r)
{
    int32_t iNode;
    const char *why = bt_pg_problem(pg, CB_PAGE, &iNode);
    if (why != NULL) {
        fprintf(stderr, "page problem: %s (node %d)\n", why, (int)iNode);
        return -1;
    }
    if (pg_cslot(pg) != r->n)
        return -1;
    for (uint32_t ib = pg_ibheap(pg); ib < CB_PAGE - BT_SLOT * pg_cslot(pg); ib++)
        if (pg[ib] != 0)
            return -1;
    for (uint32_t i = 0; i < r->n; i++) {
        bt_node n;
        uint8_t buf[BT_KEY_MAX];
        bt_pg_node(pg, CB_PAGE, i, &n);
        if (n.cbKey != r->cb[i] || memcmp(bt_node_key(&n, buf), r->key[i], n.cbKey) != 0)
            return -1;
        if (bt_node_cmp(&n, r->key[i], r->cb[i]) != 0)
            return -1;
        if (i > 0) {
            bt_node p;
            bt_pg_node(pg, CB_PAGE, i - 1, &p);
            if (bt_node_cmp2(&p, &n) >= 0)
                return -1;
        }
        int found;
        if (bt_pg_search(pg, CB_PAGE, r->key[i], r->cb[i], &found) != i || !found)
            return -1;
    }
    return 0;
}

static uint32_t ref_find(const ref *r, const uint8_t *key, uint32_t cb, int *pfound)
{
    uint32_t i = 0;
    *pfound = 0;
    while (i < r->n && bt_keycmp(r->key[i], r->cb[i], key, cb) < 0)
        i++;
    *pfound = i < r->n && bt_keycmp(r->key[i], r->cb[i], key, cb) == 0;
    return i;
}

/* Insert through the cost plan like the do path and redo (btree.c, redo.c):
 * returns 1 when it did not fit, -1 on a broken prediction. */
static int insert_checked(uint8_t *pg, ref *r, const uint8_t *key, uint32_t cb, uint32_t cbData)
{
    static uint8_t scratch[CB_PAGE];
    uint8_t data[64];
    int found, fScratch;
    uint32_t i = ref_find(r, key, cb, &found);
    if (found)
        return 1;
    uint32_t cost = bt_pg_insert_cost(pg, CB_PAGE, key, cb, cbData, &fScratch);
    if (cost > bt_node_size(cb, cbData) || bt_pg_free(pg, CB_PAGE) < cost)
        return cost > bt_node_size(cb, cbData) ? -1 : 1;
    memset(data, key[0], cbData);
    uint32_t used = bt_pg_used(pg, CB_PAGE);
    memset(scratch, 0xA5, sizeof scratch);   /* whatever scratch holds must not matter */
    bt_pg_insert(pg, CB_PAGE, i, key, cb, data, cbData, 0, fScratch ? scratch : NULL);
    if (bt_pg_used(pg, CB_PAGE) > used + cost)
        return -1;   /* more than predicted */
    memmove(r->key[i + 1], r->key[i], (r->n - i) * sizeof r->key[0]);
    memmove(&r->cb[i + 1], &r->cb[i], (r->n - i) * sizeof r->cb[0]);
    memcpy(r->key[i], key, cb);
    r->cb[i] = cb;
    r->n++;
    return 0;
}

/* keys "HEADHEAD...<head bytes> + tail": head bytes shared */
static uint32_t make_key(uint8_t *key, uint32_t cbHead, uint32_t tail)
{
    for (uint32_t i = 0; i < cbHead; i++)
        key[i] = (uint8_t)('A' + i % 5);
    key[cbHead] = (uint8_t)(tail >> 8);
    key[cbHead + 1] = (uint8_t)tail;
    return cbHead + 2;
}

TEST(prefix_insert_search_whole_and_shrink)
{
    static uint8_t pg[CB_PAGE];
    static ref r;
    uint8_t key[64];
    new_leaf(pg);
    r.n = 0;
    uint8_t head[30];
    make_key(head, 28, 0);
    bt_pg_set_prefix(pg, CB_PAGE, head, 28);
    for (uint32_t t = 0; t < 60; t++)
        CHECK(insert_checked(pg, &r, key, make_key(key, 28, (t * 37) % 200), 8) == 0);
    CHECK(page_matches(pg, &r) == 0);
    CHECK(pg_cbpfx(pg) == 28);
    /* 60 nodes of 2 stored key bytes: the keys cost 28 bytes once */
    CHECK(bt_pg_used(pg, CB_PAGE) == 28 + 60 * bt_node_size(2, 8));
    /* A key outside the prefix on a page of many users: stored whole. */
    uint32_t cb = make_key(key, 27, 5);
    key[26] = 'Z';
    CHECK(insert_checked(pg, &r, key, cb, 8) == 0);
    CHECK(pg_cbpfx(pg) == 28 && page_matches(pg, &r) == 0);
    bt_node n;
    bt_pg_node(pg, CB_PAGE, r.n - 1, &n);   /* 'Z' sorts last */
    CHECK(n.cbPfx == 0 && n.cbSfx == cb);
    /* A short key that is a prefix of the page prefix sorts first. */
    CHECK(insert_checked(pg, &r, head, 10, 8) == 0);
    CHECK(page_matches(pg, &r) == 0);

    /* One user: a key sharing less of the prefix shortens it (re-encoding
     * is cheaper than a whole key). */
    new_leaf(pg);
    r.n = 0;
    bt_pg_set_prefix(pg, CB_PAGE, head, 28);
    CHECK(insert_checked(pg, &r, key, make_key(key, 28, 1), 4) == 0);
    cb = make_key(key, 28, 2);
    key[20] = 'z';
    int fScratch;
    (void)bt_pg_insert_cost(pg, CB_PAGE, key, cb, 4, &fScratch);
    CHECK(fScratch);
    CHECK(insert_checked(pg, &r, key, cb, 4) == 0);
    CHECK(pg_cbpfx(pg) == 20 && page_matches(pg, &r) == 0);
    /* without scratch the prefix stays and the key is stored whole */
    static uint8_t pg2[CB_PAGE];
    new_leaf(pg2);
    bt_pg_set_prefix(pg2, CB_PAGE, head, 28);
    bt_pg_insert(pg2, CB_PAGE, 0, r.key[0], r.cb[0], "aaaa", 4, 0, NULL);
    bt_pg_insert(pg2, CB_PAGE, 1, key, cb, "zzzz", 4, 0, NULL);
    CHECK(pg_cbpfx(pg2) == 28 && bt_pg_check(pg2, CB_PAGE) == 0);
    bt_pg_node(pg2, CB_PAGE, 1, &n);
    CHECK(n.cbPfx == 0 && n.cbKey == cb);
}

TEST(prefix_random_ops_against_reference)
{
    static uint8_t pg[CB_PAGE], scratch[CB_PAGE];
    static ref r;
    uint8_t key[64], data[200];
    for (int round = 0; round < 40; round++) {
        new_leaf(pg);
        r.n = 0;
        uint32_t cbHead = rnd() % 40;
        uint8_t head[64];
        make_key(head, cbHead, 0);
        bt_pg_set_prefix(pg, CB_PAGE, head, cbHead < 30 ? cbHead : 30);
        for (int op = 0; op < 600; op++) {
            uint32_t u = rnd() % 100;
            if (u < 55 || r.n == 0) {
                uint32_t cb = make_key(key, cbHead, rnd() % 300);
                if (rnd() % 8 == 0)
                    key[rnd() % cb] ^= (uint8_t)(1 + rnd() % 255);   /* leaves the prefix */
                int rc = insert_checked(pg, &r, key, cb, rnd() % 40);
                CHECK(rc >= 0);
            } else if (u < 75) {
                uint32_t i = rnd() % r.n;
                bt_pg_delete(pg, CB_PAGE, i);
                memmove(r.key[i], r.key[i + 1], (r.n - 1 - i) * sizeof r.key[0]);
                memmove(&r.cb[i], &r.cb[i + 1], (r.n - 1 - i) * sizeof r.cb[0]);
                r.n--;
            } else if (u < 90) {
                /* replace with data of another size (compaction paths) */
                uint32_t i = rnd() % r.n, cbData = rnd() % 120;
                bt_node n;
                bt_pg_node(pg, CB_PAGE, i, &n);
                if (bt_pg_free(pg, CB_PAGE) + n.cbData < cbData)
                    continue;
                memset(data, r.key[i][0], cbData);
                bt_pg_replace(pg, CB_PAGE, i, data, cbData, scratch);
                bt_pg_node(pg, CB_PAGE, i, &n);
                CHECK(n.cbData == cbData && (cbData == 0 || n.data[cbData - 1] == r.key[i][0]));
            } else if (u < 95) {
                bt_pg_compact(pg, CB_PAGE, scratch);
            } else {
                /* re-encode: the leaf's own best prefix, then none, then back */
                uint32_t used = bt_pg_used(pg, CB_PAGE);
                bt_pg_tighten(pg, CB_PAGE, scratch);
                CHECK(bt_pg_used(pg, CB_PAGE) <= used);
            }
            CHECK(page_matches(pg, &r) == 0);
        }
        /* Re-encoding is a function of the keys and the prefix: no prefix,
         * then the first key's head again, gives the same nodes. */
        uint8_t pfx[64];
        uint32_t cbPfx = pg_cbpfx(pg);
        memcpy(pfx, pg_pfx(pg), cbPfx);
        uint32_t usedPlain = bt_pg_used_with(pg, CB_PAGE, NULL, 0), usedNow = bt_pg_used(pg, CB_PAGE);
        CHECK(bt_pg_used_with(pg, CB_PAGE, pfx, cbPfx) == usedNow);
        if (usedPlain > bt_cap(CB_PAGE))
            continue;   /* holds more than a page without its prefix */
        bt_pg_reprefix(pg, CB_PAGE, NULL, 0, scratch);
        CHECK(pg_cbpfx(pg) == 0 && page_matches(pg, &r) == 0 && bt_pg_used(pg, CB_PAGE) == usedPlain);
        bt_pg_reprefix(pg, CB_PAGE, pfx, cbPfx, scratch);
        CHECK(page_matches(pg, &r) == 0 && bt_pg_used(pg, CB_PAGE) <= usedNow);
    }
}

/* A valid prefix page with some whole nodes. */
static void sample_page(uint8_t *pg, ref *r)
{
    uint8_t key[64], head[64];
    new_leaf(pg);
    r->n = 0;
    make_key(head, 24, 0);
    bt_pg_set_prefix(pg, CB_PAGE, head, 24);
    for (uint32_t t = 0; t < 40; t++) {
        uint32_t cb = make_key(key, 24, t * 3);
        if (t % 9 == 4)
            key[3] = 'q';
        (void)insert_checked(pg, r, key, cb, 6);
    }
}

/* Whatever the bytes, bt_pg_problem answers without reading outside the
 * page, and a page it accepts can be walked, searched and compared safely. */
static int walk_if_sane(const uint8_t *pg)
{
    int32_t iNode;
    if (bt_pg_problem(pg, CB_PAGE, &iNode) != NULL)
        return 0;
    uint8_t buf[BT_KEY_MAX];
    for (uint32_t i = 0; i < pg_cslot(pg); i++) {
        bt_node n, p;
        bt_pg_node(pg, CB_PAGE, i, &n);
        if ((size_t)(n.sfx - pg) + n.cbSfx + n.cbData > CB_PAGE || n.cbPfx > BTP_OFF_CBPFX + 256)
            return -1;
        const uint8_t *k = bt_node_key(&n, buf);
        int found;
        (void)bt_pg_search(pg, CB_PAGE, k, n.cbKey, &found);
        if (i > 0) {
            bt_pg_node(pg, CB_PAGE, i - 1, &p);
            (void)bt_node_cmp2(&p, &n);
        }
    }
    return 1;
}

TEST(prefix_damaged_pages)
{
    static uint8_t good[CB_PAGE], pg[CB_PAGE];
    static ref r;
    sample_page(good, &r);
    CHECK(page_matches(good, &r) == 0);
    /* Every prefix length but the right one is a layout problem; one past
     * what a page may hold is refused by X1 itself. */
    for (uint32_t v = 0; v < 256; v++) {
        memcpy(pg, good, CB_PAGE);
        pg[BTP_OFF_CBPFX] = (uint8_t)v;
        int32_t iNode;
        const char *why = bt_pg_problem(pg, CB_PAGE, &iNode);
        CHECK((why == NULL) == (v == 24));
        CHECK(walk_if_sane(pg) >= 0);
    }
    memcpy(pg, good, CB_PAGE);
    pg[BTP_OFF_CBPFX] = (uint8_t)(bt_pfx_max(CB_PAGE) + 1);
    int32_t iNode;
    const char *why = bt_pg_problem(pg, CB_PAGE, &iNode);
    CHECK(why != NULL && strstr(why, "X1") != NULL);
    /* Random damage to the header, the node words and the slots. */
    int nsane = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(pg, good, CB_PAGE);
        for (int k = 1 + rnd() % 3; k > 0; k--) {
            uint32_t u = rnd() % 3, off;
            if (u == 0)
                off = BTP_OFF_CSLOT + rnd() % 8;            /* cslot, ibHeap, cbFrag, level, cbPrefix */
            else if (u == 1)
                off = pg_ibheap(good) > 64 ? 64 + rnd() % (pg_ibheap(good) - 64) : 64;   /* heap */
            else
                off = CB_PAGE - 1 - rnd() % (2 * pg_cslot(good));   /* slots */
            pg[off] = (uint8_t)(rnd() % 4 == 0 ? pg[off] ^ 0x80 : rnd());
        }
        int rc = walk_if_sane(pg);
        CHECK(rc >= 0);
        nsane += rc;
    }
    CHECK(nsane < 20000);   /* most damage is seen */
}

UNIT_MAIN()
