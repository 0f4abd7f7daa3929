/*
 * space.c -- the free-space manager of a database file: the space page, the
 * list of free pages, and growing the file by cpgExtend pages.
 *
 * Owns: the space page and free pages (layouts in btree_int.h), invariant
 * S1, latching rule L6 (the space page is latched after tree pages and held
 * to the end of the structure change).
 * Must not touch: tree pages' contents (callers format what they allocate),
 * the file (only through cache_extend_file / cache_file_pages).
 *
 * Allocation order: the free list first (last freed, first reused), then the
 * never-used pages (pgnoHwm, cpgOwned], then the file grows by cpgExtend.
 * Every change to the space page or a free page is part of a structure
 * change (bt_grp): logged with the other pages of that change, atomically.
 */
#include "btree_int.h"

static uint32_t extend_by(const bt_env *env)
{
    return env->cpgExtend ? env->cpgExtend : 1;
}

static JET_ERR space_read(const bt_env *env, uint32_t pgnoSpace, int latch, bf **ppbf)
{
    bf *pbf = NULL;
    JET_ERR err = cache_read(env->pc, env->dbid, pgnoSpace, latch, &pbf);
    if (err < 0)
        return err;
    const uint8_t *sp = bf_data(pbf);
    if (pg_flags(sp) != BTP_SPACE || le_get32(sp + BTS_OFF_MAGIC) != BT_SPACE_MAGIC ||
        le_get32(sp + BTS_OFF_HWM) > le_get32(sp + BTS_OFF_OWNED)) {
        cache_release(pbf);
        return JET_errSPAvailExtCorrupted;
    }
    *ppbf = pbf;
    return JET_errSuccess;
}

JET_ERR bt_space_hold(bt_grp *g, uint32_t pgnoSpace, bf **ppbfSpace)
{
    bf *pbf = bt_grp_find(g, pgnoSpace);
    if (pbf == NULL) {
        JET_ERR err = space_read(g->env, pgnoSpace, LATCH_EXCLUSIVE, &pbf);   /* L6 */
        if (err >= 0)
            err = bt_grp_hold(g, pbf);
        if (err < 0)
            return err;
    }
    *ppbfSpace = pbf;
    return JET_errSuccess;
}

JET_ERR bt_space_init(bt_env *env, uint32_t *ppgnoSpace)
{
    const uint32_t pgnoSpace = 1;
    uint32_t cpgFile = 0, cpgOwned = extend_by(env);
    bf *pbf = NULL;
    bt_grp g;
    bt_grp_init(&g, env);
    JET_ERR err = cache_file_pages(env->pc, env->dbid, &cpgFile);
    if (err >= 0 && cpgFile < cpgOwned)
        err = cache_extend_file(env->pc, env->dbid, cpgOwned);
    if (err >= 0 && cpgFile > cpgOwned)
        cpgOwned = cpgFile;
    if (err >= 0)
        err = cache_new(env->pc, env->dbid, pgnoSpace, &pbf);
    if (err >= 0)
        err = bt_grp_hold(&g, pbf);
    if (err >= 0) {
        uint8_t *sp = bf_data(pbf);
        uint32_t cbPage = cache_page_size(env->pc);
        bt_grp_change(&g, pbf);
        bt_pg_zero(sp, cbPage);
        pg_set_flags(sp, BTP_SPACE);
        le_put32(sp + BTS_OFF_OWNED, cpgOwned);
        le_put32(sp + BTS_OFF_HWM, pgnoSpace);
        le_put32(sp + BTS_OFF_FREE, 0);
        le_put32(sp + BTS_OFF_CFREE, 0);
        le_put32(sp + BTS_OFF_MAGIC, BT_SPACE_MAGIC);
    }
    err = bt_grp_end(&g, err);
    if (err >= 0)
        *ppgnoSpace = pgnoSpace;
    return err;
}

/* Latch the free page pgno (L6: after the space page; it is unreachable from
 * trees) and check that it is one; *ppgnoNext = the next one on the list. */
static JET_ERR read_free(const bt_env *env, const uint8_t *sp, uint32_t pgno, bf **ppbf, uint32_t *ppgnoNext)
{
    bf *pbf = NULL;
    if (pgno == 0 || pgno > le_get32(sp + BTS_OFF_HWM))
        return JET_errSPAvailExtCorrupted;
    JET_ERR err = cache_read(env->pc, env->dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err < 0)
        return err;
    const uint8_t *pg = bf_data(pbf);
    if (pg_flags(pg) != BTP_FREE || pg_objid(pg) != 0) {
        cache_release(pbf);
        return JET_errSPAvailExtCorrupted;
    }
    *ppgnoNext = pg_next(pg);
    *ppbf = pbf;
    return JET_errSuccess;
}

JET_ERR bt_space_alloc_grp(bt_grp *g, uint32_t pgnoSpace, uint32_t objid, uint32_t cpg, bf **rgpbf)
{
    const bt_env *env = g->env;
    bf *pbfSpace = NULL;
    JET_ERR err = bt_space_hold(g, pgnoSpace, &pbfSpace);
    if (err < 0)
        return err;
    uint8_t *sp = bf_data(pbfSpace);
    uint32_t owned = le_get32(sp + BTS_OFF_OWNED), hwm = le_get32(sp + BTS_OFF_HWM);
    uint32_t pgnoFree = le_get32(sp + BTS_OFF_FREE), cfree = le_get32(sp + BTS_OFF_CFREE);
    uint32_t got = 0;

    /* Acquire every page first (A4): nothing changes until all are held. */
    while (err >= 0 && got < cpg && pgnoFree != 0) {
        bf *pbf = NULL;
        if (cfree == 0 || bt_grp_find(g, pgnoFree) != NULL)
            err = JET_errSPAvailExtCorrupted;   /* (a page we hold: a cycle, or a tree page) */
        if (err >= 0)
            err = read_free(env, sp, pgnoFree, &pbf, &pgnoFree);
        if (err >= 0)
            err = bt_grp_hold(g, pbf);
        if (err >= 0) {
            rgpbf[got++] = pbf;
            cfree--;
        }
    }
    if (err >= 0 && got < cpg && hwm + (cpg - got) > owned) {
        uint32_t need = hwm + (cpg - got) - owned, cpgFile = 0;
        uint32_t grow = (need + extend_by(env) - 1) / extend_by(env) * extend_by(env);
        if (owned + grow < owned || owned + grow > 0x7FFFFFFFu)
            err = JET_errOutOfDatabaseSpace;
        if (err >= 0)
            err = cache_file_pages(env->pc, env->dbid, &cpgFile);
        if (err >= 0 && cpgFile < owned + grow)
            err = cache_extend_file(env->pc, env->dbid, owned + grow);
        if (err >= 0)
            owned += grow;
    }
    while (err >= 0 && got < cpg) {
        bf *pbf = NULL;
        if (bt_grp_find(g, hwm + 1) != NULL)
            err = JET_errSPAvailExtCorrupted;   /* a "never used" page in use */
        if (err >= 0)
            err = cache_new(env->pc, env->dbid, hwm + 1, &pbf);   /* never used: nothing to read */
        if (err >= 0)
            err = bt_grp_hold(g, pbf);
        if (err >= 0) {
            rgpbf[got++] = pbf;
            hwm++;
        }
    }
    if (err < 0) {
        while (got > 0)
            bt_grp_drop(g, rgpbf[--got]);
        return err;
    }

    /* Everything is held: change. */
    bt_grp_change(g, pbfSpace);
    le_put32(sp + BTS_OFF_OWNED, owned);
    le_put32(sp + BTS_OFF_HWM, hwm);
    le_put32(sp + BTS_OFF_FREE, pgnoFree);
    le_put32(sp + BTS_OFF_CFREE, cfree);
    for (uint32_t i = 0; i < cpg; i++) {
        uint8_t *pg = bf_data(rgpbf[i]);
        bt_grp_change(g, rgpbf[i]);
        bt_pg_zero(pg, cache_page_size(env->pc));
        pg_set_objid(pg, objid);
    }
    return JET_errSuccess;
}

JET_ERR bt_space_alloc(bt_env *env, uint32_t pgnoSpace, uint32_t objid, bf **ppbf)
{
    bt_grp g;
    bf *pbf = NULL;
    bt_grp_init(&g, env);
    JET_ERR err = bt_space_alloc_grp(&g, pgnoSpace, objid, 1, &pbf);
    if (err >= 0)
        bt_grp_keep(&g, pbf);
    err = bt_grp_end(&g, err);
    if (err >= 0)
        *ppbf = pbf;
    return err;
}

void bt_space_free_grp(bt_grp *g, bf *pbfSpace, bf *pbf)
{
    uint8_t *sp = bf_data(pbfSpace), *pg = bf_data(pbf);
    bt_grp_change(g, pbf);
    bt_grp_change(g, pbfSpace);
    bt_pg_zero(pg, cache_page_size(g->env->pc));
    pg_set_flags(pg, BTP_FREE);
    pg_set_next(pg, le_get32(sp + BTS_OFF_FREE));
    le_put32(sp + BTS_OFF_FREE, bf_pgno(pbf));
    le_put32(sp + BTS_OFF_CFREE, le_get32(sp + BTS_OFF_CFREE) + 1);
}

JET_ERR bt_space_free(bt_env *env, uint32_t pgnoSpace, uint32_t pgno)
{
    bf *pbf = NULL, *pbfSpace = NULL;
    bt_grp g;
    if (pgno == 0 || pgno == pgnoSpace)
        return JET_errInvalidParameter;
    bt_grp_init(&g, env);
    /* L6: the page first, then the space page. */
    JET_ERR err = cache_read(env->pc, env->dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err == JET_errPageNotInitialized)
        err = cache_new(env->pc, env->dbid, pgno, &pbf); /* allocated, never written */
    if (err >= 0)
        err = bt_grp_hold(&g, pbf);
    if (err >= 0)
        err = bt_space_hold(&g, pgnoSpace, &pbfSpace);
    if (err >= 0) {
        const uint8_t *sp = bf_data(pbfSpace);
        if (pgno > le_get32(sp + BTS_OFF_HWM))
            err = JET_errInvalidParameter;          /* never handed out */
        else if (pg_flags(bf_data(pbf)) == BTP_FREE)
            err = JET_errSPAvailExtCorrupted;       /* freed twice */
        else
            bt_space_free_grp(&g, pbfSpace, pbf);
    }
    return bt_grp_end(&g, err);
}

JET_ERR bt_space_stats(bt_env *env, uint32_t pgnoSpace, uint32_t *pcpgFree, uint32_t *pcpgOwned)
{
    bf *pbf = NULL;
    JET_ERR err = space_read(env, pgnoSpace, LATCH_SHARED, &pbf);
    if (err < 0)
        return err;
    const uint8_t *sp = bf_data(pbf);
    uint32_t owned = le_get32(sp + BTS_OFF_OWNED);
    if (pcpgFree)
        *pcpgFree = le_get32(sp + BTS_OFF_CFREE) + (owned - le_get32(sp + BTS_OFF_HWM));
    if (pcpgOwned)
        *pcpgOwned = owned;
    cache_release(pbf);
    return JET_errSuccess;
}

JET_ERR bt_space_hwm(const bt_env *env, uint32_t pgnoSpace, uint32_t *phwm)
{
    bf *pbf = NULL;
    JET_ERR err = space_read(env, pgnoSpace, LATCH_SHARED, &pbf);
    if (err < 0)
        return err;
    *phwm = le_get32(bf_data(pbf) + BTS_OFF_HWM);
    cache_release(pbf);
    return JET_errSuccess;
}

/* ---- shrinking (JetResizeDatabase) ------------------------------------------ */

/* One step of bt_space_shrink, one structure change: the last owned page
 * leaves the space -- never used pages above the high-water mark all at once
 * (down to cpgMin), else the last page when it is free (unlinked from the
 * list: its predecessor's link or the head changes).  *pfMore: a step
 * happened.  The free list is walked with short latches: it changes only
 * under the space page's exclusive latch, which this step holds (L6). */
static JET_ERR shrink_step(const bt_env *env, uint32_t pgnoSpace, uint32_t cpgMin, int *pfMore)
{
    bt_grp g;
    bf *pbfSpace = NULL, *pbfPrev = NULL;
    *pfMore = 0;
    bt_grp_init(&g, env);
    JET_ERR err = bt_space_hold(&g, pgnoSpace, &pbfSpace);
    if (err < 0)
        return bt_grp_end(&g, err);
    uint8_t *sp = bf_data(pbfSpace);
    uint32_t owned = le_get32(sp + BTS_OFF_OWNED), hwm = le_get32(sp + BTS_OFF_HWM);
    uint32_t cfree = le_get32(sp + BTS_OFF_CFREE);
    if (owned <= cpgMin || owned <= pgnoSpace)
        return bt_grp_end(&g, JET_errSuccess);
    if (owned > hwm) {
        bt_grp_change(&g, pbfSpace);
        le_put32(sp + BTS_OFF_OWNED, hwm > cpgMin ? hwm : cpgMin);
        *pfMore = 1;
        return bt_grp_end(&g, JET_errSuccess);
    }
    /* owned == hwm: is page `owned` on the free list, and after which page? */
    uint32_t pgno = le_get32(sp + BTS_OFF_FREE), pgnoPrev = 0, n = 0;
    while (err >= 0 && pgno != 0 && pgno != owned) {
        bf *pbf = NULL;
        uint32_t next = 0;
        if (++n > cfree)
            err = JET_errSPAvailExtCorrupted;   /* longer than its count: a cycle */
        if (err >= 0)
            err = read_free(env, sp, pgno, &pbf, &next);
        if (err >= 0)
            cache_release(pbf);
        pgnoPrev = pgno;
        pgno = next;
    }
    if (err < 0 || pgno == 0)
        return bt_grp_end(&g, err);   /* the last page is in use: the file cannot shrink further */
    bf *pbfLast = NULL;
    uint32_t next = 0;
    err = read_free(env, sp, owned, &pbfLast, &next);
    if (err >= 0)
        err = bt_grp_hold(&g, pbfLast);
    if (err >= 0 && pgnoPrev != 0) {
        uint32_t dummy;
        err = read_free(env, sp, pgnoPrev, &pbfPrev, &dummy);
        if (err >= 0)
            err = bt_grp_hold(&g, pbfPrev);
    }
    if (err < 0)
        return bt_grp_end(&g, err);
    bt_grp_change(&g, pbfSpace);
    if (pbfPrev != NULL) {
        bt_grp_change(&g, pbfPrev);
        pg_set_next(bf_data(pbfPrev), next);
    } else {
        le_put32(sp + BTS_OFF_FREE, next);
    }
    le_put32(sp + BTS_OFF_CFREE, cfree - 1);
    le_put32(sp + BTS_OFF_OWNED, owned - 1);
    le_put32(sp + BTS_OFF_HWM, owned - 1);
    *pfMore = 1;
    return bt_grp_end(&g, JET_errSuccess);
}

JET_ERR bt_space_shrink(bt_env *env, uint32_t pgnoSpace, uint32_t cpgMin, uint32_t *pcpgOwned)
{
    int fMore = 1;
    JET_ERR err = JET_errSuccess;
    while (err >= 0 && fMore)
        err = shrink_step(env, pgnoSpace, cpgMin, &fMore);
    if (err >= 0 && pcpgOwned)
        err = bt_space_stats(env, pgnoSpace, NULL, pcpgOwned);
    return err;
}

JET_ERR bt_space_truncate(bt_env *env, uint32_t pgnoSpace, uint32_t *pcpgFile)
{
    bf *pbf = NULL;
    /* Shared: no allocation (which may adopt the file's pages beyond the
     * owned ones) while the file is cut. */
    JET_ERR err = space_read(env, pgnoSpace, LATCH_SHARED, &pbf);
    if (err < 0)
        return err;
    uint32_t owned = le_get32(bf_data(pbf) + BTS_OFF_OWNED), cpgFile = 0;
    err = cache_file_pages(env->pc, env->dbid, &cpgFile);
    if (err >= 0 && cpgFile > owned)
        err = cache_truncate_file(env->pc, env->dbid, owned);
    if (err >= 0)
        err = cache_file_pages(env->pc, env->dbid, &cpgFile);
    cache_release(pbf);
    if (err >= 0 && pcpgFile)
        *pcpgFile = cpgFile;
    return err;
}
