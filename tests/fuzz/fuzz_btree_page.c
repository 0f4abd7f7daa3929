/*
 * fuzz_btree_page.c -- fuzz target: esepy's own page checks, the ones every
 * page read from a database file goes through: the cache's checksum and page
 * number check (cache_page_verify, invariant C2) and the B+tree layer's page
 * layout check (bt_pg_check, P2/P3).  A page that passes bt_pg_check is then
 * used the way the tree code uses a checked page (nodes, children, search,
 * route, free space, compaction, insert, replace, delete): whatever the
 * check lets through must be safe to use.
 *
 * Each input runs twice: as it is, and with the page's crc32c and page
 * number made valid (cache.h: crc of bytes 4.. seeded with the pgno), so
 * that cache_page_verify's accepting path is fuzzed too.
 *
 * Input: one page.  The page size is the largest of 4/8/16/32 KiB not above
 * the input size (4 KiB minimum; shorter inputs are padded with zeros).
 * Owns: nothing of the engine.
 */
#include "fuzz_util.h"

#include "btree_int.h"

static uint8_t g_pg[32768], g_scratch[32768];

static void run(const uint8_t *data, size_t size, int fFixCrc)
{
    uint32_t cbPage = size >= 32768 ? 32768 : size >= 16384 ? 16384 : size >= 8192 ? 8192 : 4096;
    memset(g_pg, 0, cbPage);
    memcpy(g_pg, data, size < cbPage ? size : cbPage);
    if (fFixCrc) {
        uint32_t pgno = le_get32(g_pg + PAGE_OFF_PGNO);
        le_put32(g_pg + PAGE_OFF_CRC, os_crc32c(pgno, g_pg + 4, cbPage - 4));
    }
    uint8_t *pg = malloc(cbPage); /* exact size: ASan catches any read past the page */
    if (pg == NULL)
        return;
    memcpy(pg, g_pg, cbPage);
    (void)cache_page_verify(pg, cbPage, le_get32(pg + PAGE_OFF_PGNO));
    (void)cache_page_verify(pg, cbPage, 1);
    if (bt_pg_check(pg, cbPage) != 0) {
        free(pg);
        return;
    }
    uint32_t cslot = pg_cslot(pg);
    const uint8_t *probe = size > cbPage ? data + cbPage : data;
    uint32_t cbProbe = (uint32_t)(size > cbPage ? size - cbPage : (size < 16 ? size : 16));
    if (cbProbe > 255)
        cbProbe = 255;
    for (uint32_t i = 0; i < cslot; i++) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        if (n.cbKey)
            g_scratch[0] ^= n.cbSfx ? n.sfx[n.cbSfx - 1] : n.pfx[n.cbPfx - 1];
        if (n.cbData)
            g_scratch[0] ^= n.data[n.cbData - 1];
        if (pg_flags(pg) & BTP_INTERNAL)
            (void)bt_pg_child(pg, cbPage, i);
    }
    int found = 0;
    (void)bt_pg_search(pg, cbPage, probe, cbProbe, &found);
    if ((pg_flags(pg) & BTP_INTERNAL) && cslot > 0) {
        (void)bt_pg_route(pg, cbPage, probe, cbProbe, 0);
        (void)bt_pg_route(pg, cbPage, probe, cbProbe, 1);
    }
    uint32_t cbHead, cbTail;
    bt_pg_used_ranges(pg, cbPage, &cbHead, &cbTail);
    uint32_t cbFree = bt_pg_free(pg, cbPage);
    (void)bt_pg_used(pg, cbPage);
    /* modify a copy as the tree code would */
    /* internal nodes carry a child page number (P2) */
    uint32_t cbData = (pg_flags(pg) & BTP_INTERNAL) ? BT_PGNO_SIZE : cbProbe;
    uint8_t rgbData[255] = { 0 };
    memcpy(rgbData, probe, cbProbe < BT_PGNO_SIZE && cbData == BT_PGNO_SIZE ? cbProbe : cbData);
    uint32_t cbNode = bt_node_size(cbProbe, cbData);
    if (cbFree >= cbNode) {
        uint32_t i = bt_pg_search(pg, cbPage, probe, cbProbe, &found);
        bt_pg_insert(pg, cbPage, i, probe, cbProbe, rgbData, cbData, 0,
                     bt_pg_needs_compact(pg, cbPage, cbNode) ? g_scratch : NULL);
        if (bt_pg_check(pg, cbPage) != 0)
            abort(); /* an insert into a sane page must leave it sane */
    }
    cslot = pg_cslot(pg);
    if (cslot > 0) {
        bt_node n;
        bt_pg_node(pg, cbPage, 0, &n);
        if (bt_pg_free(pg, cbPage) + n.cbData >= cbProbe && !(pg_flags(pg) & BTP_INTERNAL))
            bt_pg_replace(pg, cbPage, 0, probe, cbProbe, g_scratch);
        bt_pg_setflags(pg, cbPage, cslot - 1, 1);
        bt_pg_delete(pg, cbPage, cslot - 1);
        bt_pg_compact(pg, cbPage, g_scratch);
        if (bt_pg_check(pg, cbPage) != 0)
            abort();
    }
    free(pg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, 0);
    run(data, size, 1);
    return 0;
}
