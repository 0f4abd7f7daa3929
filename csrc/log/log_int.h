/*
 * log_int.h -- private to csrc/log: byte encodings shared by the log files
 * (signature / time / attach entry encodings, the log
 * file header codec, the record framing and the crc chain), file naming and
 * folder scanning helpers, and the few internal hooks the writer needs from the
 * reader (where a generation's valid chain ends) and tests need from the
 * writer (counters).
 *
 * Owns: nothing at run time; it only declares what log_names.c, log_file.c,
 * log_checkpoint.c, log_reader.c and log_writer.c share.
 * Must not touch: anything outside csrc/log (no layer above the log includes
 * this header; tests may).
 */
#ifndef ESEPY_LOG_INT_H
#define ESEPY_LOG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "le.h"
#include "log.h"

_Static_assert(sizeof(JET_LOGTIME) == 8, "JET_LOGTIME must be 8 bytes");

/* Highest generation ESE allows (lGenerationMax); beyond it JET_errLogSequenceEnd. */
#define LOG_GEN_MAX        0x7FFFF800
/* Highest generation written with 5 hex digits under JET_bitEightDotThreeSoftCompat. */
#define LOG_GEN_5DIGIT_MAX 0xFFFFF
/* Smallest and largest generation files (header included). */
#define LOG_MIN_SECTORS    4u
#define LOG_MAX_SECTORS    65535u

/* Special generation numbers of log_path(). */
#define LOG_GEN_CURRENT    0
#define LOG_GEN_TMP        (-1)
#define LOG_GEN_RES1       (-2)
#define LOG_GEN_RES2       (-3)
#define LOG_GEN_CHK        (-10)

/* Encoded sizes. */
#define LOG_SIGN_SIZE      28
#define LOG_TIME_SIZE      8
#define LOG_ATTACH_SIZE    300 /* dbid 4, flags 4, signDb 28, lsnAttach 8, path 256 */

/* Header field offsets (see log.h). */
#define LOG_HOFF_CRC       0
#define LOG_HOFF_MAGIC     4
#define LOG_HOFF_VERSION   8
#define LOG_HOFF_GEN       12
#define LOG_HOFF_SECTOR    16
#define LOG_HOFF_NSECTORS  20
#define LOG_HOFF_CBPAGE    24
#define LOG_HOFF_FLAGS     28
#define LOG_HOFF_TMCREATE  32
#define LOG_HOFF_TMPREV    40
#define LOG_HOFF_SIGN      48
#define LOG_HOFF_LSNCHK    76
#define LOG_HOFF_FILETYPE  84
#define LOG_HOFF_CATTACH   88
#define LOG_HOFF_ATTACH    92

/* Record header field offsets (see log.h). */
#define LOG_ROFF_LEN       0
#define LOG_ROFF_TYPE      4
#define LOG_ROFF_FLAGS     5
#define LOG_ROFF_RESERVED  6
#define LOG_ROFF_CRC       8
#define LOG_ROFF_GEN       12

/* ---- positions -------------------------------------------------------------- */

/* The lsn of file offset `off` of generation `gen` (off <= 65535 * 4096). */
static inline lsn_t log_lsn_of(int32_t gen, uint64_t off)
{
    return LSN_MAKE(gen, off / LOG_SECTOR, off % LOG_SECTOR);
}
static inline uint64_t log_off_of(lsn_t lsn)
{
    return (uint64_t)LSN_ISEC(lsn) * LOG_SECTOR + LSN_IB(lsn);
}
static inline uint64_t log_roundup_block(uint64_t off)
{
    return (off + LOG_BLOCK - 1) / LOG_BLOCK * LOG_BLOCK;
}
/* Block rule: where the record following offset `off` starts (a record never
 * starts where fewer than LOG_REC_HEADER bytes remain in a 512-byte block). */
static inline uint64_t log_rec_place(uint64_t off)
{
    uint64_t rem = LOG_BLOCK - off % LOG_BLOCK;
    return rem < LOG_REC_HEADER ? off + rem : off;
}
static inline uint64_t log_rounddown_block(uint64_t off)
{
    return off / LOG_BLOCK * LOG_BLOCK;
}
/* Whether a record of `len` bytes may start at `o` in a file of cbFile bytes:
 * after it there must remain two whole blocks past the next block boundary,
 * so that a flush trailer (which may spill into the next block) and then a
 * GENEND and its trailer always fit. */
static inline int log_rec_fits(uint64_t o, uint64_t len, uint32_t cbFile)
{
    return log_roundup_block(o + len) + 2 * LOG_BLOCK <= cbFile;
}
/* Largest record (header included) a generation of cbFile bytes accepts. */
static inline uint32_t log_rec_max(uint32_t cbFile)
{
    return cbFile - LOG_HEADER_SIZE - 2 * LOG_BLOCK;
}
/* Where the flush trailer goes when the data ends at `off`: it must end on a
 * block boundary, and the gap before it must be empty or hold a PAD record
 * (>= LOG_REC_HEADER bytes).  Returns the trailer's offset. */
static inline uint64_t log_flush_place(uint64_t off)
{
    uint64_t o = log_rec_place(off);
    uint64_t e = log_roundup_block(o + LOG_FLUSH_SIZE);
    if (e - o != LOG_FLUSH_SIZE && e - o < LOG_FLUSH_SIZE + LOG_REC_HEADER)
        e += LOG_BLOCK;
    return e - LOG_FLUSH_SIZE;
}

/* Flush trailer payload offsets (see log.h). */
#define LOG_FOFF_DURABLE   16
#define LOG_FOFF_ANCHOR    24
#define LOG_FOFF_RESERVED  28

/* ---- encodings (log_file.c) ------------------------------------------------------ */

void log_put_time(uint8_t *p, const JET_LOGTIME *t);
void log_get_time(const uint8_t *p, JET_LOGTIME *t);
int  log_time_equal(const JET_LOGTIME *a, const JET_LOGTIME *b);
void log_put_sign(uint8_t *p, const JET_SIGNATURE *s);
void log_get_sign(const uint8_t *p, JET_SIGNATURE *s);
int  log_sign_equal(const JET_SIGNATURE *a, const JET_SIGNATURE *b);
void log_put_attach(uint8_t *p, const log_attach *a);
/* 0 when the path is not NUL-terminated within its 256 bytes. */
int  log_get_attach(const uint8_t *p, log_attach *a);

/* Encode a full LOG_HEADER_SIZE-byte header (checksum included). */
void    log_header_encode(const log_header *h, uint8_t *buf);
/* log_header_decode (decode and verify) is in log.h. */

/* Seed of the crc chain of a generation: crc32c(signLog || generation). */
uint32_t log_chain_seed(const JET_SIGNATURE *sign, int32_t gen);
/* crc of record `rec` (len bytes, header included) with its crc field taken as
 * zero, continuing the chain from `prev`. */
uint32_t log_rec_crc(uint32_t prev, const uint8_t *rec, uint32_t len);
/* Anchor of the LOG_FLUSH_SIZE-byte trailer `rec` at file offset `off` (its
 * crc and anchor fields taken as zero, then `off` as u64), seeded with `seed`
 * = log_chain_seed of its generation: a copy elsewhere does not verify. */
uint32_t log_flush_anchor(uint32_t seed, const uint8_t *rec, uint64_t off);
/* 1 if the LOG_FLUSH_SIZE bytes at `rec`, at file offset `off`, are a valid
 * flush trailer of generation `gen` (anchor seeded with `seed`); then
 * *poffDurable receives its offDurable. */
int      log_flush_valid(const uint8_t *rec, uint64_t off, int32_t gen, uint32_t seed, uint64_t *poffDurable);
/* Fill the 16-byte record header (crc left zero). */
void     log_rec_header(uint8_t *p, uint32_t len, uint8_t type, int32_t gen);

/* Validate what naming needs (folders, a 3-character base name). */
JET_ERR log_config_check_names(const log_config *cfg);
/* Validate a configuration for writing; *pcbFile receives the generation file size
 * (cbLogFile rounded down to whole sectors, at most LOG_MAX_SECTORS). */
JET_ERR log_config_check(const log_config *cfg, uint32_t *pcbFile);

/* A new log stream signature (random number, creation time). */
void log_new_signature(JET_SIGNATURE *s, const void *entropy);

/* ---- names and folders (log_names.c) ------------------------------------------ */

/* log_path() in folder `dir` (the checkpoint ignores dir and uses system_dir). */
JET_ERR log_path_dir(const log_config *cfg, const char *dir, int32_t gen, char *out, size_t cbOut);
/* Path of an existing archived generation file in `dir`, under its preferred
 * name or the other digit count; JET_errFileNotFound if neither exists. */

/* What a folder holds of one stream. */
typedef struct log_dirscan {
    int      fCurrent; /* B.log is present */
    int32_t *gens;     /* archived generations present, ascending, unique */
    uint32_t cgens;
} log_dirscan;
JET_ERR log_scan_dir(const log_config *cfg, const char *dir, log_dirscan *ps);
void    log_scan_free(log_dirscan *ps);
/* 1 if scan holds archived generation gen. */
int     log_scan_has(const log_dirscan *ps, int32_t gen);

/* ---- reader internals (log_reader.c) ------------------------------------------ */

/* Where the chain of the file being read stopped: its generation, the offset
 * just past the last good record, the crc of that record (the chain state) and
 * whether that record was a GENEND.  Meaningful after JET_wrnNoMoreRecords. */
void log_reader_tail(const log_reader *prd, int32_t *pgen, uint64_t *poff, uint32_t *pcrc,
                     int *pfGenEnd, log_header *phdr);

/* ---- writer counters (tests) ---------------------------------------------------- */

typedef struct log_writer_stats {
    uint64_t cappend;   /* records appended (all types) */
    uint64_t csync;     /* write + fdatasync rounds (group commits) */
    uint64_t cwriteout; /* buffer-full writes without sync */
    uint64_t croll;     /* generations closed */
    uint64_t crecycle;  /* archived generations recycled as Btmp */
    uint64_t cdelete;   /* archived generations deleted (circular logging) */
    int      fReserveInUse;
} log_writer_stats;
void log_writer_get_stats(log_writer *plw, log_writer_stats *ps);

#endif /* ESEPY_LOG_INT_H */
