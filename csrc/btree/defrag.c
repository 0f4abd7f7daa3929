/*
 * defrag.c -- online defragmentation of one tree, one step at a time: the
 * leaf holding a key is merged with its right sibling when both fit one page
 * (bt_smo_merge_right in smo.c: one logged structure change, the emptied
 * sibling freed in it), and the step says where the walk goes on.
 *
 * Owns: the fill limit of a defragmentation merge and the step's contract
 * (btree.h).  Must not touch: which trees are walked, when, and on which
 * thread (the isam layer's defrag.c); page layouts (page.c); logging (group.c).
 */
#include "btree_int.h"

JET_ERR bt_defrag_step(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                       uint8_t *next, uint32_t *pcbNext, int *pfMerged, int *pfEnd)
{
    uint32_t cbPage = cache_page_size(env->pc);
    /* Leave an eighth of the merged page free, so that the next insert
     * near it does not split it straight away. */
    uint32_t cbFill = bt_cap(cbPage) - bt_cap(cbPage) / 8;
    bt_smo s;
    *pfMerged = 0;
    *pfEnd = 1;
    *pcbNext = 0;
    if (cbKey > cbPage)
        return JET_errInvalidParameter;
    JET_ERR err = bt_smo_begin(&s, env, pgnoSpace, pgnoRoot);
    if (err >= 0)
        err = bt_smo_descend(&s, key, cbKey);
    if (err >= 0)
        err = bt_smo_merge_right(&s, cbFill, pfMerged, next, pcbNext, pfEnd);
    err = bt_smo_end(&s, err);
    if (err < 0) {
        *pfMerged = 0;
        *pfEnd = 1;
    }
    return err;
}
