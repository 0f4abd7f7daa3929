/*
 * bksupport.c -- what the backup layer (csrc/backup, one layer up) needs from
 * a running instance: the list of databases to copy, a header image for the
 * copy, pages read while sessions keep changing them, the header update that
 * records a finished backup, and the instance's log writer.
 *
 * Owns: the rule that a database being backed up is not detached
 * (pinst->cbackup, isam_detach_database refuses with JET_errBackupInProgress)
 * and the backup fields of the database header.
 * Must not touch: backup files, backup state machines, the folder layout of a
 * backup set (all of that belongs to csrc/backup).
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

uint32_t isam_backup_list(isam_inst *pinst, isam_bkdb *out, uint32_t cmax)
{
    uint32_t n = 0;
    os_mutex_lock(&pinst->lock);
    for (uint32_t i = 1; i <= ISAM_MAX_DBID && n < cmax; i++) {
        isam_db *pdb = pinst->dbs[i];
        if (pdb == NULL || !pdb->logged || pdb->hdr.filetype != JET_filetypeDatabase)
            continue;
        memset(&out[n], 0, sizeof(out[n]));
        out[n].dbid = pdb->dbid;
        out[n].signDb = pdb->hdr.signDb;
        snprintf(out[n].path, sizeof(out[n].path), "%s", pdb->path);
        n++;
    }
    os_mutex_unlock(&pinst->lock);
    return n;
}

void isam_backup_hold(isam_inst *pinst, int fHold)
{
    os_mutex_lock(&pinst->lock);
    if (fHold)
        pinst->cbackup++;
    else if (pinst->cbackup > 0)
        pinst->cbackup--;
    os_mutex_unlock(&pinst->lock);
}

/* The database at dbid if it is still the one with signature *psign. */
static isam_db *db_same_locked(isam_inst *pinst, uint32_t dbid, const JET_SIGNATURE *psign)
{
    os_mutex_assert_held(&pinst->lock);
    isam_db *pdb = (dbid >= 1 && dbid <= ISAM_MAX_DBID) ? pinst->dbs[dbid] : NULL;
    if (pdb && memcmp(&pdb->hdr.signDb, psign, sizeof(*psign)) != 0)
        pdb = NULL;
    return pdb;
}

JET_ERR isam_backup_header(isam_inst *pinst, uint32_t dbid, const JET_SIGNATURE *psign, db_header *phdr,
                           uint32_t *pcpg)
{
    os_mutex_lock(&pinst->lock);
    isam_db *pdb = db_same_locked(pinst, dbid, psign);
    if (pdb)
        *phdr = pdb->hdr;
    os_mutex_unlock(&pinst->lock);
    if (pdb == NULL)
        return JET_errDatabaseNotFound;
    return cache_file_pages(pinst->pc, dbid, pcpg);
}

JET_ERR isam_backup_read(isam_inst *pinst, uint32_t dbid, uint32_t pgno, uint32_t cpg, void *pv)
{
    return cache_backup_read(pinst->pc, dbid, pgno, cpg, pv);
}

JET_ERR isam_backup_mark(isam_inst *pinst, uint32_t dbid, const JET_SIGNATURE *psign, int which,
                         const JET_BKINFO *pbk)
{
    os_mutex_lock(&pinst->lock);
    isam_db *pdb = db_same_locked(pinst, dbid, psign);
    if (pdb)
        os_mutex_lock(&pdb->hdrLock); /* H1 (order: inst.lock, then hdrLock) */
    os_mutex_unlock(&pinst->lock);
    if (pdb == NULL)
        return JET_errDatabaseNotFound;
    {
        switch (which) {
        case ISAM_BK_FULL:
            pdb->hdr.bkinfoFullPrev = *pbk;
            memset(&pdb->hdr.bkinfoIncPrev, 0, sizeof(JET_BKINFO));
            memset(&pdb->hdr.bkinfoDiffPrev, 0, sizeof(JET_BKINFO));
            break;
        case ISAM_BK_INCREMENTAL:
            pdb->hdr.bkinfoIncPrev = *pbk;
            break;
        case ISAM_BK_COPY:
            pdb->hdr.bkinfoCopyPrev = *pbk;
            break;
        default:
            pdb->hdr.bkinfoDiffPrev = *pbk;
            break;
        }
    }
    /* Detach is refused while a backup holds the instance, so the file stays. */
    JET_ERR err = db_header_write(cache_file(pinst->pc, dbid), &pdb->hdr);
    os_mutex_unlock(&pdb->hdrLock);
    return err;
}

log_writer *isam_log_writer(isam_inst *pinst)
{
    return pinst->lw;
}

const log_config *isam_log_config(isam_inst *pinst)
{
    return &pinst->cfg.log;
}

uint32_t isam_page_size(isam_inst *pinst)
{
    return pinst->cfg.cbPage;
}
