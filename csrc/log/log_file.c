/*
 * log_file.c -- the byte layout of log files: the 4096-byte generation header
 * (encode, decode, verify, log_read_header), the encodings of signatures,
 * times and attach entries shared with the checkpoint file, the record
 * header and the crc chain, configuration checks and new stream signatures.
 *
 * Owns: the meaning of every byte of a log file header and of a record header
 * (log.h "Log file layout" and "Record framing").
 * Must not touch: files other than the one log_read_header is given; the
 * checkpoint layout (log_checkpoint.c); writer and reader state.
 */
#include "log_int.h"


/* ---- small encodings -------------------------------------------------------- */

void log_put_time(uint8_t *p, const JET_LOGTIME *t)
{
    le_put_logtime(p, t);
}

void log_get_time(const uint8_t *p, JET_LOGTIME *t)
{
    le_get_logtime(p, t);
}

int log_time_equal(const JET_LOGTIME *a, const JET_LOGTIME *b)
{
    uint8_t x[LOG_TIME_SIZE], y[LOG_TIME_SIZE];
    log_put_time(x, a);
    log_put_time(y, b);
    return memcmp(x, y, sizeof(x)) == 0;
}

void log_put_sign(uint8_t *p, const JET_SIGNATURE *s)
{
    le_put_signature(p, s);
}

void log_get_sign(const uint8_t *p, JET_SIGNATURE *s)
{
    le_get_signature(p, s);
}

int log_sign_equal(const JET_SIGNATURE *a, const JET_SIGNATURE *b)
{
    uint8_t x[LOG_SIGN_SIZE], y[LOG_SIGN_SIZE];
    log_put_sign(x, a);
    log_put_sign(y, b);
    return memcmp(x, y, sizeof(x)) == 0;
}

void log_put_attach(uint8_t *p, const log_attach *a)
{
    memset(p, 0, LOG_ATTACH_SIZE);
    le_put32(p, a->dbid);
    le_put32(p + 4, a->flags);
    log_put_sign(p + 8, &a->signDb);
    le_put64(p + 36, a->lsnAttach);
    size_t n = strnlen(a->path, sizeof(a->path) - 1);
    memcpy(p + 44, a->path, n); /* always NUL-terminated on disk */
}

int log_get_attach(const uint8_t *p, log_attach *a)
{
    memset(a, 0, sizeof(*a));
    a->dbid = le_get32(p);
    a->flags = le_get32(p + 4);
    log_get_sign(p + 8, &a->signDb);
    a->lsnAttach = le_get64(p + 36);
    if (memchr(p + 44, 0, sizeof(a->path)) == NULL)
        return 0;
    memcpy(a->path, p + 44, sizeof(a->path));
    return 1;
}

/* ---- header --------------------------------------------------------------------- */

_Static_assert(LOG_HOFF_ATTACH + LOG_MAX_ATTACH * LOG_ATTACH_SIZE <= LOG_HEADER_SIZE,
               "attach list must fit in the header");

void log_header_encode(const log_header *h, uint8_t *buf)
{
    memset(buf, 0, LOG_HEADER_SIZE);
    le_put32(buf + LOG_HOFF_MAGIC, LOG_MAGIC);
    le_put32(buf + LOG_HOFF_VERSION, LOG_FORMAT_VERSION);
    le_put32(buf + LOG_HOFF_GEN, (uint32_t)h->generation);
    le_put32(buf + LOG_HOFF_SECTOR, LOG_SECTOR);
    le_put32(buf + LOG_HOFF_NSECTORS, h->cbFile / LOG_SECTOR);
    le_put32(buf + LOG_HOFF_CBPAGE, h->cbPage);
    le_put32(buf + LOG_HOFF_FLAGS, h->flags);
    log_put_time(buf + LOG_HOFF_TMCREATE, &h->tmCreate);
    log_put_time(buf + LOG_HOFF_TMPREV, &h->tmPrevGen);
    log_put_sign(buf + LOG_HOFF_SIGN, &h->signLog);
    le_put64(buf + LOG_HOFF_LSNCHK, h->lsnCheckpoint);
    le_put32(buf + LOG_HOFF_FILETYPE, JET_filetypeLog);
    uint32_t c = h->cattach <= LOG_MAX_ATTACH ? h->cattach : LOG_MAX_ATTACH;
    le_put32(buf + LOG_HOFF_CATTACH, c);
    for (uint32_t i = 0; i < c; i++)
        log_put_attach(buf + LOG_HOFF_ATTACH + i * LOG_ATTACH_SIZE, &h->attach[i]);
    le_put32(buf + LOG_HOFF_CRC, os_crc32c(0, buf + 4, LOG_HEADER_SIZE - 4));
}

JET_ERR log_header_decode(const uint8_t *buf, log_header *h)
{
    log_header t;
    memset(&t, 0, sizeof(t));
    if (le_get32(buf + LOG_HOFF_CRC) != os_crc32c(0, buf + 4, LOG_HEADER_SIZE - 4))
        return JET_errLogFileCorrupt;
    if (le_get32(buf + LOG_HOFF_MAGIC) != LOG_MAGIC)
        return JET_errLogFileCorrupt;
    if (le_get32(buf + LOG_HOFF_VERSION) != LOG_FORMAT_VERSION)
        return JET_errBadLogVersion;
    uint32_t nsec = le_get32(buf + LOG_HOFF_NSECTORS);
    t.generation = (int32_t)le_get32(buf + LOG_HOFF_GEN);
    t.cbPage = le_get32(buf + LOG_HOFF_CBPAGE);
    t.flags = le_get32(buf + LOG_HOFF_FLAGS);
    t.cattach = le_get32(buf + LOG_HOFF_CATTACH);
    if (le_get32(buf + LOG_HOFF_SECTOR) != LOG_SECTOR || nsec < LOG_MIN_SECTORS || nsec > LOG_MAX_SECTORS ||
        t.generation <= 0 || t.generation > LOG_GEN_MAX || t.cattach > LOG_MAX_ATTACH ||
        le_get32(buf + LOG_HOFF_FILETYPE) != JET_filetypeLog ||
        (t.cbPage != 0 && (t.cbPage & (t.cbPage - 1)) != 0))
        return JET_errLogFileCorrupt;
    t.cbFile = nsec * LOG_SECTOR;
    log_get_time(buf + LOG_HOFF_TMCREATE, &t.tmCreate);
    log_get_time(buf + LOG_HOFF_TMPREV, &t.tmPrevGen);
    log_get_sign(buf + LOG_HOFF_SIGN, &t.signLog);
    t.lsnCheckpoint = le_get64(buf + LOG_HOFF_LSNCHK);
    for (uint32_t i = 0; i < t.cattach; i++)
        if (!log_get_attach(buf + LOG_HOFF_ATTACH + i * LOG_ATTACH_SIZE, &t.attach[i]))
            return JET_errLogFileCorrupt;
    *h = t;
    return JET_errSuccess;
}

JET_ERR log_read_header(const char *path, log_header *phdr)
{
    JET_ERR err;
    os_file *pf = NULL;
    uint8_t *buf = NULL;
    size_t cb = 0;

    if (path == NULL || phdr == NULL)
        return JET_errInvalidParameter;
    err = os_file_open(path, OS_FILE_READ, &pf);
    if (err < 0)
        goto done;
    buf = os_malloc(LOG_HEADER_SIZE);
    if (buf == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    err = os_file_read(pf, 0, buf, LOG_HEADER_SIZE, &cb);
    if (err < 0)
        goto done;
    err = cb < LOG_HEADER_SIZE ? JET_errLogFileCorrupt : log_header_decode(buf, phdr);
done:
    os_free(buf);
    os_file_close(pf);
    return err;
}

JET_ERR log_current_size(const log_config *cfg, uint32_t *pcbFile)
{
    char path[OS_PATH_MAX];
    log_header h;
    JET_ERR err = log_path(cfg, 0, path, sizeof(path));
    if (err >= 0)
        err = log_read_header(path, &h);
    os_file *pf = NULL;
    uint64_t cb = 0;
    if (err >= 0)
        err = os_file_open(path, OS_FILE_READ, &pf);
    if (err >= 0)
        err = os_file_size(pf, &cb);
    os_file_close(pf);
    /* As ESENT: a log longer than its header says is refused.  (A shorter
     * one is a torn or truncated log: recovery judges it.) */
    if (err >= 0 && cb > h.cbFile)
        err = JET_errLogFileSizeMismatch;
    if (err >= 0)
        *pcbFile = h.cbFile;
    return err;
}

/* ---- records --------------------------------------------------------------------- */

uint32_t log_chain_seed(const JET_SIGNATURE *sign, int32_t gen)
{
    uint8_t b[LOG_SIGN_SIZE + 4];
    log_put_sign(b, sign);
    le_put32(b + LOG_SIGN_SIZE, (uint32_t)gen);
    return os_crc32c(0, b, sizeof(b));
}

uint32_t log_rec_crc(uint32_t prev, const uint8_t *rec, uint32_t len)
{
    static const uint8_t zero[4] = { 0, 0, 0, 0 };
    uint32_t c = os_crc32c(prev, rec, LOG_ROFF_CRC);
    c = os_crc32c(c, zero, 4);
    return os_crc32c(c, rec + LOG_ROFF_CRC + 4, len - (LOG_ROFF_CRC + 4));
}

uint32_t log_flush_anchor(uint32_t seed, const uint8_t *rec, uint64_t off)
{
    uint8_t b[LOG_FLUSH_SIZE + 8];
    memcpy(b, rec, LOG_FLUSH_SIZE);
    le_put32(b + LOG_ROFF_CRC, 0);
    le_put32(b + LOG_FOFF_ANCHOR, 0);
    le_put64(b + LOG_FLUSH_SIZE, off);
    return os_crc32c(seed, b, sizeof(b));
}

int log_flush_valid(const uint8_t *rec, uint64_t off, int32_t gen, uint32_t seed, uint64_t *poffDurable)
{
    uint64_t offDurable = le_get64(rec + LOG_FOFF_DURABLE);
    if (le_get32(rec + LOG_ROFF_LEN) != LOG_FLUSH_SIZE || rec[LOG_ROFF_TYPE] != LOG_REC_FLUSH ||
        rec[LOG_ROFF_FLAGS] != 0 || le_get16(rec + LOG_ROFF_RESERVED) != 0 ||
        (int32_t)le_get32(rec + LOG_ROFF_GEN) != gen || le_get32(rec + LOG_FOFF_RESERVED) != 0 ||
        offDurable < LOG_HEADER_SIZE || offDurable > off || offDurable % LOG_BLOCK != 0 ||
        le_get32(rec + LOG_FOFF_ANCHOR) != log_flush_anchor(seed, rec, off))
        return 0;
    *poffDurable = offDurable;
    return 1;
}

void log_rec_header(uint8_t *p, uint32_t len, uint8_t type, int32_t gen)
{
    le_put32(p + LOG_ROFF_LEN, len);
    p[LOG_ROFF_TYPE] = type;
    p[LOG_ROFF_FLAGS] = 0;
    le_put16(p + LOG_ROFF_RESERVED, 0);
    le_put32(p + LOG_ROFF_CRC, 0);
    le_put32(p + LOG_ROFF_GEN, (uint32_t)gen);
}

/* ---- configuration and signatures ------------------------------------------------ */

JET_ERR log_config_check_names(const log_config *cfg)
{
    if (cfg == NULL || cfg->log_dir == NULL || cfg->system_dir == NULL || cfg->base == NULL)
        return JET_errInvalidParameter;
    if (strlen(cfg->base) != 3 || strchr(cfg->base, '/') != NULL)
        return JET_errInvalidParameter;
    return JET_errSuccess;
}

JET_ERR log_config_check(const log_config *cfg, uint32_t *pcbFile)
{
    JET_ERR err = log_config_check_names(cfg);
    if (err < 0)
        return err;
    uint64_t nsec = cfg->cbLogFile / LOG_SECTOR;
    if (nsec < LOG_MIN_SECTORS)
        return JET_errInvalidParameter;
    if (nsec > LOG_MAX_SECTORS)
        nsec = LOG_MAX_SECTORS;
    if (pcbFile)
        *pcbFile = (uint32_t)(nsec * LOG_SECTOR);
    return JET_errSuccess;
}

void log_new_signature(JET_SIGNATURE *s, const void *entropy)
{
    struct {
        uint8_t         rnd[16];
        int64_t         us;
        const void     *p1, *p2;
        JET_LOGTIME     lt;
    } mix;
    memset(&mix, 0, sizeof(mix));
    os_random_bytes(mix.rnd, sizeof(mix.rnd));
    mix.us = os_monotonic_us();
    mix.p1 = entropy;
    mix.p2 = &mix;
    os_logtime_now(&mix.lt);
    memset(s, 0, sizeof(*s));
    s->ulRandom = os_crc32c(0x9E3779B9u, &mix, sizeof(mix));
    s->logtimeCreate = mix.lt;
}
