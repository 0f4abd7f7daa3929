/*
 * backup.h -- streaming backup of a running instance (the external backup
 * API and JetBackupInstance built on it) and restore of a backup set with
 * roll-forward (JetRestoreInstance).
 *
 * Owns: the backup state machine, the byte stream of a database copy (two
 * header pages, the data pages, one trailer page), the folder layout of a
 * backup set (<db file>, <db stem>.pat, <base>XXXXX.log; atomic backups in
 * <path>/temp -> <path>/new, previous in <path>/old), log truncation after a
 * backup, the validation of a backup set (an untrusted input) and the copy of
 * its databases to their destination.
 * Must not touch: instance modes, handles or parameters (the api layer passes
 * what is needed), page or record formats (pages are copied as the cache gives
 * them), Python.
 *
 * ---------------------------------------------------------------------------
 * The stream of a database (what JetReadFileInstance returns, what a backup
 * folder holds under the database's file name), cbPage = the page size:
 *     [0, 2*cbPage)              the header, twice, with bkinfoFullCur =
 *                                {mark, time, genLow = first generation of the
 *                                backup, genHigh = 0}: "a copy that needs
 *                                restore" (attach refuses it)
 *     [2*cbPage, (cpg+2)*cbPage) data pages 1..cpg, each with a valid checksum
 *     [(cpg+2)*cbPage, +cbPage)  the trailer (BK_TRAILER_*): crc32c, magic,
 *                                page size, cpg, signDb, signLog, the backup
 *                                info with genHigh = the generation current
 *                                when the last page was read, the file name.
 * Restore checks the header against the trailer (JET_errDatabasePatchFileMismatch),
 * the generations against the backup's logs (JET_errStartingRestoreLogTooHigh,
 * JET_errEndingRestoreLogTooLow), and drops the trailer.
 *
 * Invariants:
 *   B1. Every generation a backup lists stays on disk until the backup ends
 *       (log_pin), and log truncation never deletes a generation at or above
 *       the checkpoint (crash recovery) or at or above the first generation the
 *       backup did not copy (the next incremental backup).
 *   B2. A file of a backup folder appears under its final name only when it
 *       is complete and durable (written as <name>.tmp, fsync, rename, fsync
 *       of the folder); the .pat markers are written after everything else, so
 *       a set without them is an incomplete backup and restore refuses it
 *       (JET_errPatchFileMissing).  A marker is empty: it has no sync of its
 *       own, the folder sync that ends the backup makes its name durable
 *       (tests/crash/test_backup_folder_states.py: every power cut leaves a
 *       folder that restore refuses or restores whole).  Log files are
 *       copied by the kernel (os_file_copy), database streams through a
 *       buffer (they are assembled: header, cache pages, trailer).
 *   B3. Restore never writes into the backup folder.
 */
#ifndef ESEPY_BACKUP_H
#define ESEPY_BACKUP_H

#include <stdatomic.h>
#include <stdint.h>
#include "esent.h"
#include "isam.h"

typedef struct bk_ctx bk_ctx;

/* ---- external backup (backup.c) ---------------------------------------------- */

/* Start a backup: grbit 0 (full) or JET_bitBackupIncremental (anything else
 * -> JET_errInvalidGrbit).  JET_errLoggingDisabled, JET_errInvalidBackup
 * (incremental with circular logging), JET_errMissingFullBackup.  *pStop
 * (may be NULL), once non-zero, makes every later call but bk_end fail with
 * JET_errBackupAbortByServer (JetStopBackup, JetTerm). */
JET_ERR bk_begin(isam_inst *pi, JET_GRBIT grbit, atomic_int *pStop, bk_ctx **ppbk);
/* The databases to copy, as a multi-string of absolute paths. */
JET_ERR bk_get_attach_info(bk_ctx *pbk, char *szz, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR bk_open_file(bk_ctx *pbk, const char *szFile, JET_HANDLE *ph, uint32_t *pcbLow, uint32_t *pcbHigh);
JET_ERR bk_read_file(bk_ctx *pbk, JET_HANDLE h, void *pv, uint32_t cb, uint32_t *pcbActual);
JET_ERR bk_close_file(bk_ctx *pbk, JET_HANDLE h);
/* First call rolls the log; lists the generations to copy (and the .pat
 * markers of a full backup).  pli may be NULL. */
JET_ERR bk_get_log_info(bk_ctx *pbk, char *szz, uint32_t cbMax, uint32_t *pcbActual, JET_LOGINFO *pli);
JET_ERR bk_get_truncate_log_info(bk_ctx *pbk, char *szz, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR bk_truncate_log(bk_ctx *pbk);
/* End (JET_bitBackupEndNormal or JET_bitBackupEndAbort, optionally
 * JET_bitBackupTruncateDone) and free the context, whatever the result. */
JET_ERR bk_end(bk_ctx *pbk, JET_GRBIT grbit);
/* Ask a running backup to stop: its next call fails with
 * JET_errBackupAbortByServer.  Thread-safe. */
void    bk_stop(bk_ctx *pbk);

/* Progress of JetBackupInstance / JetRestoreInstance: JET_PFNSTATUS plus
 * the snp it reports under. */
typedef struct bk_progress {
    JET_PFNSTATUS pfn;
    JET_SNP       snp;
    uint32_t      done, total;
} bk_progress;

/* ---- JetBackupInstance (backup.c) ---------------------------------------------- */

/* Back up to folder `path` (absolute) with grbit JET_bitBackupIncremental /
 * JET_bitBackupAtomic, creating the folder when fCreate.  The context is
 * begun by the caller (so the api layer can publish it for JetStopBackup)
 * and ended here.  NULL path: truncate the logs that are no longer needed. */
JET_ERR bk_backup_to_folder(bk_ctx *pbk, const char *path, JET_GRBIT grbit, int fCreate, JET_PFNSTATUS pfn);
JET_ERR bk_truncate_only(isam_inst *pi);

/* ---- restore (restore.c) ---------------------------------------------------------- */

typedef struct rst_args {
    const char    *backup;      /* the backup folder (absolute) */
    const char    *dest;        /* destination folder (absolute) or NULL = original locations */
    int            fCreateDest; /* JET_paramCreatePathIfNotExist */
    lsn_t          lsnStop;     /* LSN_NIL = roll forward to the end */
    int64_t        tmStop;      /* microseconds since 1970 (UTC); 0 = none */
    JET_PFNSTATUS  pfn;
    int            fWithoutUndo; /* stop before undo: databases left dirty, replayable further */
} rst_args;

/* Restore: validate the set, copy its databases, replay its logs and those of
 * the instance's log folder that continue them, undo, leave everything clean
 * and the engine stopped.  `cfg` is what JetInit would use.  With
 * fWithoutUndo the replay stops before undo and JET_errRecoveredWithoutUndo
 * is returned: the databases are in place, dirty, no longer backup copies,
 * and crash recovery (JetInit3 + JET_bitRecoveryWithoutUndo to go on
 * replaying, plain JetInit to finish) continues them from the log folder. */
JET_ERR rst_restore(const isam_config *cfg, const rst_args *pargs);

/* ---- the trailer page of a database copy (layout: bk_int.h) ---------------- */

#define BK_NAME_MAX        255
typedef struct bk_trailer {
    uint32_t      cbPage, cpg;
    JET_SIGNATURE signDb, signLog;
    JET_BKINFO    bk;
    char          name[BK_NAME_MAX + 1];
} bk_trailer;
/* Decode a trailer page (restore; read-only inspection).
 * JET_errDatabasePatchFileMismatch when the block is not a valid trailer. */
JET_ERR bk_trailer_decode(const uint8_t *pv, uint32_t cbPage, bk_trailer *pt);

#endif /* ESEPY_BACKUP_H */
