/*
 * log_checkpoint.c -- the checkpoint file S/B.chk (S/B.jcp without
 * JET_bitESE98FileNames): two 4096-byte copies, each with its own crc32c.
 *
 * Copy layout (copy A at offset 0, copy B at offset 4096; little-endian):
 *        0  u32  crc32c of bytes 4..4095
 *        4  u32  magic CHK_MAGIC ("SEPC")
 *        8  u32  format version CHK_VERSION
 *       12  u32  JET_filetypeCheckpoint
 *       16  u64  lsnCheckpoint
 *       24  28   signLog
 *       52  u64  lsnFullBackup
 *       60  u64  lsnIncBackup
 *       68  8    tmFullBackup
 *       76  8    tmIncBackup
 *       84  u32  number of attach entries (<= LOG_MAX_ATTACH)
 *       88  ...  attach entries (LOG_ATTACH_SIZE each, as in the log header)
 *
 * Invariants:
 *   K1. A write never leaves the file without a valid copy: copy A is written
 *       and synced before copy B is touched, and the file is never truncated.
 *   K2. The reader prefers copy A: it is written first, so when both copies
 *       are valid A is at least as new as B.
 *
 * Owns: every byte of the checkpoint file.
 * Must not touch: log files; what the checkpoint lsn means (the caller's).
 */
#include "log_int.h"

#define CHK_MAGIC    0x43504553u /* "SEPC" */
#define CHK_VERSION  1
#define CHK_COPY     4096
#define CHK_OFF_CRC      0
#define CHK_OFF_MAGIC    4
#define CHK_OFF_VERSION  8
#define CHK_OFF_FILETYPE 12
#define CHK_OFF_LSNCHK   16
#define CHK_OFF_SIGN     24
#define CHK_OFF_LSNFULL  52
#define CHK_OFF_LSNINC   60
#define CHK_OFF_TMFULL   68
#define CHK_OFF_TMINC    76
#define CHK_OFF_CATTACH  84
#define CHK_OFF_ATTACH   88

_Static_assert(CHK_OFF_ATTACH + LOG_MAX_ATTACH * LOG_ATTACH_SIZE <= CHK_COPY, "attach list must fit");

static void chk_encode(const log_checkpoint *c, uint8_t *buf)
{
    memset(buf, 0, CHK_COPY);
    le_put32(buf + CHK_OFF_MAGIC, CHK_MAGIC);
    le_put32(buf + CHK_OFF_VERSION, CHK_VERSION);
    le_put32(buf + CHK_OFF_FILETYPE, JET_filetypeCheckpoint);
    le_put64(buf + CHK_OFF_LSNCHK, c->lsnCheckpoint);
    log_put_sign(buf + CHK_OFF_SIGN, &c->signLog);
    le_put64(buf + CHK_OFF_LSNFULL, c->lsnFullBackup);
    le_put64(buf + CHK_OFF_LSNINC, c->lsnIncBackup);
    log_put_time(buf + CHK_OFF_TMFULL, &c->tmFullBackup);
    log_put_time(buf + CHK_OFF_TMINC, &c->tmIncBackup);
    uint32_t n = c->cattach <= LOG_MAX_ATTACH ? c->cattach : LOG_MAX_ATTACH;
    le_put32(buf + CHK_OFF_CATTACH, n);
    for (uint32_t i = 0; i < n; i++)
        log_put_attach(buf + CHK_OFF_ATTACH + i * LOG_ATTACH_SIZE, &c->attach[i]);
    le_put32(buf + CHK_OFF_CRC, os_crc32c(0, buf + 4, CHK_COPY - 4));
}

/* 1 if the copy is valid (and decoded into *c). */
static int chk_decode(const uint8_t *buf, log_checkpoint *c)
{
    log_checkpoint t;
    memset(&t, 0, sizeof(t));
    if (le_get32(buf + CHK_OFF_CRC) != os_crc32c(0, buf + 4, CHK_COPY - 4) ||
        le_get32(buf + CHK_OFF_MAGIC) != CHK_MAGIC || le_get32(buf + CHK_OFF_VERSION) != CHK_VERSION ||
        le_get32(buf + CHK_OFF_FILETYPE) != JET_filetypeCheckpoint)
        return 0;
    t.lsnCheckpoint = le_get64(buf + CHK_OFF_LSNCHK);
    log_get_sign(buf + CHK_OFF_SIGN, &t.signLog);
    t.lsnFullBackup = le_get64(buf + CHK_OFF_LSNFULL);
    t.lsnIncBackup = le_get64(buf + CHK_OFF_LSNINC);
    log_get_time(buf + CHK_OFF_TMFULL, &t.tmFullBackup);
    log_get_time(buf + CHK_OFF_TMINC, &t.tmIncBackup);
    t.cattach = le_get32(buf + CHK_OFF_CATTACH);
    if (t.cattach > LOG_MAX_ATTACH)
        return 0;
    for (uint32_t i = 0; i < t.cattach; i++)
        if (!log_get_attach(buf + CHK_OFF_ATTACH + i * LOG_ATTACH_SIZE, &t.attach[i]))
            return 0;
    *c = t;
    return 1;
}

JET_ERR log_checkpoint_write(const log_config *cfg, const log_checkpoint *pchk)
{
    JET_ERR err;
    char path[OS_PATH_MAX];
    os_file *pf = NULL;
    uint8_t *buf = NULL;
    int fCreated = 0;

    if (pchk == NULL)
        return JET_errInvalidParameter;
    err = log_path(cfg, LOG_GEN_CHK, path, sizeof(path));
    if (err < 0)
        return err;
    buf = os_malloc(CHK_COPY);
    if (buf == NULL)
        return JET_errOutOfMemory;
    chk_encode(pchk, buf);
    /* K1: open the existing file as is (never truncate); create it if missing. */
    err = os_file_open(path, OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
    if (err == JET_errFileNotFound) {
        err = os_file_open(path, OS_FILE_CREATE | OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
        fCreated = 1;
    }
    if (err < 0)
        goto done;
    err = os_file_write(pf, 0, buf, CHK_COPY);
    if (err >= 0)
        err = os_file_sync(pf);
    if (err >= 0)
        err = os_file_write(pf, CHK_COPY, buf, CHK_COPY);
    if (err >= 0)
        err = os_file_sync(pf);
    if (err >= 0 && fCreated)
        err = os_dir_sync(cfg->system_dir);
done:
    os_file_close(pf);
    os_free(buf);
    return err;
}

JET_ERR log_checkpoint_read_file(const char *path, log_checkpoint *pchk, int *pfValidA, int *pfValidB)
{
    JET_ERR err;
    os_file *pf = NULL;
    uint8_t *buf = NULL;
    size_t cb = 0;
    log_checkpoint b;

    if (path == NULL || pchk == NULL || pfValidA == NULL || pfValidB == NULL)
        return JET_errInvalidParameter;
    err = os_file_open(path, OS_FILE_READ, &pf);
    if (err < 0)
        return err;
    buf = os_calloc(2, CHK_COPY);
    if (buf == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    err = os_file_read(pf, 0, buf, 2 * CHK_COPY, &cb);
    if (err < 0)
        goto done;
    /* K2: copy A first; a short file leaves zeros, which never verify. */
    *pfValidA = chk_decode(buf, pchk);
    *pfValidB = chk_decode(buf + CHK_COPY, *pfValidA ? &b : pchk);
    err = *pfValidA || *pfValidB ? JET_errSuccess : JET_errCheckpointCorrupt;
done:
    os_free(buf);
    os_file_close(pf);
    return err;
}

JET_ERR log_checkpoint_read(const log_config *cfg, log_checkpoint *pchk)
{
    JET_ERR err;
    char path[OS_PATH_MAX];
    os_file *pf = NULL;
    uint8_t *buf = NULL;
    size_t cb = 0;

    if (pchk == NULL)
        return JET_errInvalidParameter;
    err = log_path(cfg, LOG_GEN_CHK, path, sizeof(path));
    if (err < 0)
        return err;
    err = os_file_open(path, OS_FILE_READ, &pf);
    if (err == JET_errFileNotFound)
        return JET_errCheckpointFileNotFound;
    if (err < 0)
        return err;
    buf = os_calloc(2, CHK_COPY);
    if (buf == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    err = os_file_read(pf, 0, buf, 2 * CHK_COPY, &cb);
    if (err < 0)
        goto done;
    /* K2: copy A first; a short file leaves zeros, which never verify. */
    if (chk_decode(buf, pchk) || chk_decode(buf + CHK_COPY, pchk))
        err = JET_errSuccess;
    else
        err = JET_errCheckpointCorrupt;
done:
    os_free(buf);
    os_file_close(pf);
    return err;
}
