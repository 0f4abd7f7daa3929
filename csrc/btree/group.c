/*
 * group.c -- atomic structure changes: the set of pages one change holds,
 * logged at its end as page images (or, for pages already dirty, the bytes
 * that changed: D1) followed by LOG_REC_BT_SMOEND, or undone in memory when
 * logging fails.
 *
 * Owns: invariants A1, A2 and A4 of btree_int.h (hold every changed page to
 * the end, stamp them all with the SMOEND's lsn, give them their bytes back
 * on failure).
 * Must not touch: what the pages contain (callers change them), the order
 * pages are latched in (callers follow L5 / L6), record payloads (redo.c).
 *
 * Pages are copied when they are taken over (bt_grp_hold), i.e. before the
 * change touches them (A4: every page is latched before the first change), so
 * changing a page needs no memory and cannot fail.  Unlogged databases never
 * fail after the first change (no appends), so they take no copies.
 */
#include <assert.h>
#include "btree_int.h"

void bt_grp_init(bt_grp *g, const bt_env *env)
{
    g->env = env;
    g->cent = 0;
}

static int find(const bt_grp *g, const bf *pbf)
{
    for (int i = 0; i < g->cent; i++)
        if (g->ent[i].pbf == pbf)
            return i;
    return -1;
}

JET_ERR bt_grp_hold(bt_grp *g, bf *pbf)
{
    assert(find(g, pbf) < 0);
    if (g->cent >= BT_GRP_MAX) {
        cache_release(pbf);
        return JET_errDatabaseCorrupted;   /* deeper than any sane tree */
    }
    uint8_t *before = NULL;
    if (g->env->log != NULL) {
        uint32_t cbPage = cache_page_size(g->env->pc);
        before = os_malloc(cbPage);
        if (before == NULL) {
            cache_release(pbf);
            return JET_errOutOfMemory;
        }
        memcpy(before, bf_data(pbf), cbPage);
    }
    bt_grp_ent *e = &g->ent[g->cent++];
    e->pbf = pbf;
    e->before = before;
    e->changed = 0;
    e->keep = 0;
    return JET_errSuccess;
}

bf *bt_grp_find(const bt_grp *g, uint32_t pgno)
{
    for (int i = 0; i < g->cent; i++)
        if (bf_pgno(g->ent[i].pbf) == pgno)
            return g->ent[i].pbf;
    return NULL;
}

void bt_grp_drop(bt_grp *g, bf *pbf)
{
    int i = find(g, pbf);
    assert(i >= 0 && !g->ent[i].changed);
    if (i < 0 || g->ent[i].changed)
        return;   /* A1: a changed page stays to the end */
    cache_release(pbf);
    os_free(g->ent[i].before);
    g->ent[i] = g->ent[--g->cent];
}

void bt_grp_change(bt_grp *g, bf *pbf)
{
    int i = find(g, pbf);
    assert(i >= 0);
    if (i >= 0)
        g->ent[i].changed = 1;
}

void bt_grp_keep(bt_grp *g, bf *pbf)
{
    int i = find(g, pbf);
    assert(i >= 0);
    if (i >= 0)
        g->ent[i].keep = 1;
}

int bt_grp_changed(const bt_grp *g)
{
    int c = 0;
    for (int i = 0; i < g->cent; i++)
        c += g->ent[i].changed;
    return c;
}

/* A2: every changed page's image, then SMOEND; *plsnEnd = its lsn (LSN_NIL
 * when nothing changed).  A page whose lsn is at or past the image threshold
 * (T3 in btree.c: it has an image since, IMG) is logged as the bytes the
 * change made differ (D1), when that is smaller; a page below it as its
 * image (a write of it may be torn by a crash, and the image repairs it),
 * and so is a page that held no formatted page (a never-used page taken by a
 * change that failed: dirty, but its bytes were never logged).  The lsn
 * compared is the one the change latched (the page's lsn is stamped only
 * when it is logged). */
static JET_ERR log_change(bt_grp *g, lsn_t *plsnEnd)
{
    lsn_t smoid = LSN_NIL, lsn = LSN_NIL;
    uint32_t cimages = 0;
    JET_ERR err = JET_errSuccess;
    *plsnEnd = LSN_NIL;
    /* Before the first append: a change that fails after it leaves its
     * pages dirty (stamped) with their old bytes, which D1 relies on being
     * what the log rebuilds; only a failed append (the writer is then
     * poisoned) may do that. */
    uint8_t *scratch = os_malloc(cache_page_size(g->env->pc));
    if (scratch == NULL)
        return JET_errOutOfMemory;
    for (int i = 0; i < g->cent && err >= 0; i++) {
        bt_grp_ent *e = &g->ent[i];
        if (!e->changed)
            continue;
        if (e->before != NULL && !cache_image_due(e->pbf) &&
            (pg_flags(e->before) & (BTP_LEAF | BTP_INTERNAL | BTP_SPACE | BTP_FREE)) != 0) {
            /* D1: a page this layer formatted, imaged since the threshold (IMG). */
            err = bt_log_page(g->env, e->pbf, e->before, smoid, scratch, &lsn);
        } else {
            err = bt_log_image(g->env, e->pbf, smoid, &lsn);
        }
        if (err >= 0 && cimages++ == 0)
            smoid = lsn;   /* the change is named after its first image */
    }
    os_free(scratch);
    if (err >= 0 && cimages > 0)
        err = bt_log_smoend(g->env, smoid, cimages, plsnEnd);
    return err;
}

JET_ERR bt_grp_end(bt_grp *g, JET_ERR err)
{
    const bt_env *env = g->env;
    uint32_t cbPage = cache_page_size(env->pc);
    lsn_t lsnEnd = LSN_NIL;
    if (err >= 0 && env->log != NULL)
        err = log_change(g, &lsnEnd);
    for (int i = 0; i < g->cent; i++) {
        bt_grp_ent *e = &g->ent[i];
        if (e->changed) {
            if (err < 0) {
                /* A4: the change never happened.  crc/pgno/lsn are the
                 * cache's; the lsn may stay that of an image appended for
                 * this page (an older content under a newer lsn is harmless:
                 * redo drops the images of this change). */
                assert(e->before != NULL);
                if (e->before != NULL)
                    memcpy(bf_data(e->pbf) + PAGE_OFF_OBJID, e->before + PAGE_OFF_OBJID,
                           cbPage - PAGE_OFF_OBJID);
            } else {
                bt_stamp(env, e->pbf, lsnEnd);   /* A2: the SMOEND's lsn on every page */
            }
        }
        if (err < 0 || !e->keep)
            cache_release(e->pbf);
        os_free(e->before);
    }
    g->cent = 0;
    return err;
}
