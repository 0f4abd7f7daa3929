/*
 * space.c -- the free-space manager of a database file: the space page, the
 * list of free pages, and growing the file by cpgExtend pages.
 *
 * Owns: the space page and free pages (layouts in btree_int.h), invariant
 * S1, latching rule L6 (the space page is latched after tree pages).
 * Must not touch: tree pages' contents (callers format what they allocate),
 * the file (only through cache_extend_file / cache_file_pages).
 *
 * Allocation order: the free list first (last freed, first reused), then the
 * never-used pages (pgnoHwm, cpgOwned], then the file grows by cpgExtend.
 * Every change to the space page or a free page is logged as a page image.
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
    if (pg_flags(sp) != BTP_SPACE || bt_get32(sp + BTS_OFF_MAGIC) != BT_SPACE_MAGIC ||
        bt_get32(sp + BTS_OFF_HWM) > bt_get32(sp + BTS_OFF_OWNED)) {
        cache_release(pbf);
        return JET_errSPAvailExtCorrupted;
    }
    *ppbf = pbf;
    return JET_errSuccess;
}

JET_ERR bt_space_latch(const bt_env *env, uint32_t pgnoSpace, bf **ppbfSpace)
{
    return space_read(env, pgnoSpace, LATCH_EXCLUSIVE, ppbfSpace);
}

JET_ERR bt_space_init(bt_env *env, uint32_t *ppgnoSpace)
{
    const uint32_t pgnoSpace = 1;
    uint32_t cpgFile = 0, cpgOwned = extend_by(env);
    bf *pbf = NULL;
    JET_ERR err = cache_file_pages(env->pc, env->dbid, &cpgFile);
    if (err >= 0 && cpgFile < cpgOwned)
        err = cache_extend_file(env->pc, env->dbid, cpgOwned);
    if (err >= 0 && cpgFile > cpgOwned)
        cpgOwned = cpgFile;
    if (err >= 0)
        err = cache_new(env->pc, env->dbid, pgnoSpace, &pbf);
    if (err < 0)
        return err;
    uint8_t *sp = bf_data(pbf);
    uint32_t cbPage = cache_page_size(env->pc);
    bt_pg_zero(sp, cbPage);
    pg_set_flags(sp, BTP_SPACE);
    bt_put32(sp + BTS_OFF_OWNED, cpgOwned);
    bt_put32(sp + BTS_OFF_HWM, pgnoSpace);
    bt_put32(sp + BTS_OFF_FREE, 0);
    bt_put32(sp + BTS_OFF_CFREE, 0);
    bt_put32(sp + BTS_OFF_MAGIC, BT_SPACE_MAGIC);
    err = bt_log_image(env, pbf);
    cache_release(pbf);
    if (err >= 0)
        *ppgnoSpace = pgnoSpace;
    return err;
}

/* Take the head of the free list: latched, checked, not yet changed. */
static JET_ERR pop_free(const bt_env *env, const uint8_t *sp, bf **ppbf, uint32_t *ppgnoNext)
{
    uint32_t pgno = bt_get32(sp + BTS_OFF_FREE);
    bf *pbf = NULL;
    if (bt_get32(sp + BTS_OFF_CFREE) == 0 || pgno > bt_get32(sp + BTS_OFF_HWM))
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

JET_ERR bt_space_alloc(bt_env *env, uint32_t pgnoSpace, uint32_t objid, bf **ppbf)
{
    bf *pbfSpace = NULL, *pbf = NULL;
    JET_ERR err = bt_space_latch(env, pgnoSpace, &pbfSpace);
    if (err < 0)
        return err;
    uint8_t *sp = bf_data(pbfSpace);
    uint32_t owned = bt_get32(sp + BTS_OFF_OWNED), hwm = bt_get32(sp + BTS_OFF_HWM);
    uint32_t pgnoFree = bt_get32(sp + BTS_OFF_FREE), cfree = bt_get32(sp + BTS_OFF_CFREE);
    uint32_t newOwned = owned, newHwm = hwm, newFree = pgnoFree, newCfree = cfree;

    if (pgnoFree != 0) {
        err = pop_free(env, sp, &pbf, &newFree);
        newCfree = cfree - 1;
    } else {
        if (hwm >= owned) {
            uint32_t cpgFile = 0;
            newOwned = owned + extend_by(env);
            if (newOwned < owned || newOwned > 0x7FFFFFFFu)
                err = JET_errOutOfDatabaseSpace;
            if (err >= 0)
                err = cache_file_pages(env->pc, env->dbid, &cpgFile);
            if (err >= 0 && cpgFile < newOwned)
                err = cache_extend_file(env->pc, env->dbid, newOwned);
        }
        newHwm = hwm + 1;
        if (err >= 0)
            err = cache_new(env->pc, env->dbid, newHwm, &pbf); /* never used: nothing to read */
    }
    if (err < 0)
        goto done;

    /* Log the space page first: if that fails nothing has changed. */
    bt_put32(sp + BTS_OFF_OWNED, newOwned);
    bt_put32(sp + BTS_OFF_HWM, newHwm);
    bt_put32(sp + BTS_OFF_FREE, newFree);
    bt_put32(sp + BTS_OFF_CFREE, newCfree);
    err = bt_log_image(env, pbfSpace);
    if (err < 0) {
        bt_put32(sp + BTS_OFF_OWNED, owned);
        bt_put32(sp + BTS_OFF_HWM, hwm);
        bt_put32(sp + BTS_OFF_FREE, pgnoFree);
        bt_put32(sp + BTS_OFF_CFREE, cfree);
        goto done;
    }
    uint8_t *pg = bf_data(pbf);
    bt_pg_zero(pg, cache_page_size(env->pc));
    pg_set_objid(pg, objid);
    *ppbf = pbf;
    pbf = NULL;
done:
    if (pbf != NULL)
        cache_release(pbf);
    cache_release(pbfSpace);
    return err;
}

JET_ERR bt_space_free_latched(const bt_env *env, bf *pbfSpace, bf *pbf)
{
    uint8_t *sp = bf_data(pbfSpace), *pg = bf_data(pbf);
    bt_pg_zero(pg, cache_page_size(env->pc));
    pg_set_flags(pg, BTP_FREE);
    pg_set_next(pg, bt_get32(sp + BTS_OFF_FREE));
    JET_ERR err = bt_log_image(env, pbf);
    if (err < 0)
        return err;
    bt_put32(sp + BTS_OFF_FREE, bf_pgno(pbf));
    bt_put32(sp + BTS_OFF_CFREE, bt_get32(sp + BTS_OFF_CFREE) + 1);
    return bt_log_image(env, pbfSpace);
}

JET_ERR bt_space_free(bt_env *env, uint32_t pgnoSpace, uint32_t pgno)
{
    bf *pbf = NULL, *pbfSpace = NULL;
    if (pgno == 0 || pgno == pgnoSpace)
        return JET_errInvalidParameter;
    /* L6: the page first, then the space page. */
    JET_ERR err = cache_read(env->pc, env->dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err == JET_errPageNotInitialized)
        err = cache_new(env->pc, env->dbid, pgno, &pbf); /* allocated, never written */
    if (err < 0)
        return err;
    err = bt_space_latch(env, pgnoSpace, &pbfSpace);
    if (err >= 0) {
        const uint8_t *sp = bf_data(pbfSpace);
        if (pgno > bt_get32(sp + BTS_OFF_HWM))
            err = JET_errInvalidParameter;          /* never handed out */
        else if (pg_flags(bf_data(pbf)) == BTP_FREE)
            err = JET_errSPAvailExtCorrupted;       /* freed twice */
        else
            err = bt_space_free_latched(env, pbfSpace, pbf);
        cache_release(pbfSpace);
    }
    cache_release(pbf);
    return err;
}

JET_ERR bt_space_stats(bt_env *env, uint32_t pgnoSpace, uint32_t *pcpgFree, uint32_t *pcpgOwned)
{
    bf *pbf = NULL;
    JET_ERR err = space_read(env, pgnoSpace, LATCH_SHARED, &pbf);
    if (err < 0)
        return err;
    const uint8_t *sp = bf_data(pbf);
    uint32_t owned = bt_get32(sp + BTS_OFF_OWNED);
    if (pcpgFree)
        *pcpgFree = bt_get32(sp + BTS_OFF_CFREE) + (owned - bt_get32(sp + BTS_OFF_HWM));
    if (pcpgOwned)
        *pcpgOwned = owned;
    cache_release(pbf);
    return JET_errSuccess;
}
